//! Hosts: one core station shared by every instance placed on a host
//! (`host = "<name>"` on a pool, database or cache). A frame (or a database
//! replica's applier) of any of those instances that computes contends for
//! the host's cores with the others, so the components' CPU work contends
//! as it does on one machine. Each instance's own metrics still count its
//! own work; its `cores` are the host's.
//!
//! Two disciplines (`discipline` on `[host.*]`):
//! - **FIFO**: a computing step takes a free core to the end of its CPU
//!   time, or waits in one first-come-first-served line with the others.
//!   The line is a `VecDeque` that grows to its high-water mark and stays.
//! - **Processor sharing** ([`Sharing`]): the n steps computing at once each
//!   progress at min(1, cores / n) of a core, the limit of time slicing. It
//!   is kept in virtual time, as fair queueing is: the CPU time every step
//!   in service has received since the start. A step needing `work` ends
//!   when virtual time reaches its tag, `virtual time at its start + work`,
//!   which never changes as others come and go; only the real time at which
//!   virtual time gets there does. So the host has one pending event, for
//!   its smallest tag, rescheduled (a new token) at every start and end.
//!
//! Like `instance`, this module owns only the disciplines and the host's
//! own gauges; the caller (`sharing.rs`, `execute.rs`) moves the frames and
//! updates the components' metrics.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::compile::Builder;
use super::ids::{InstanceId, StationId};
use super::{Event, Role, Station};
use crate::engine::id::IdVec;
use crate::engine::{SimDuration, SimTime, SlabKey};
use crate::metrics::{CPU_SHARE_SCALE, TimeWeighted};
use crate::scenario::geo::Placed;
use crate::scenario::host::CoreDiscipline;
use crate::scenario::ids::HostId;

/// One host's cores, the steps computing on them and those waiting.
#[derive(Debug)]
pub struct Host {
    /// `host:<name>`, its rows' scope.
    pub scope: String,
    pub cores: u32,
    /// FIFO: cores taken. (Processor sharing counts its jobs instead.)
    pub busy_cores: u32,
    /// FIFO: who waits for a core: the instance and its frame (or
    /// `instance::APPLIER`).
    pub line: VecDeque<(InstanceId, SlabKey)>,
    /// Processor sharing's state; `None` for a FIFO host.
    pub sharing: Option<Sharing>,
    /// Busy cores and steps waiting for one (FIFO: in the line; processor
    /// sharing: computing beyond the cores), for the host's rows.
    pub gauges: HostGauges,
}

/// The host's own time-weighted levels and their totals after warm-up.
#[derive(Debug, Default)]
pub struct HostGauges {
    pub busy: TimeWeighted,
    pub waiting: TimeWeighted,
    /// ∫ busy cores dt, ∫ waiting dt, and the time they cover, over the
    /// kept windows.
    pub busy_area: u128,
    pub waiting_area: u128,
    pub elapsed_ns: u128,
}

impl Host {
    pub fn new(name: &str, cores: u32, discipline: CoreDiscipline) -> Self {
        Host {
            scope: format!("host:{name}"),
            cores,
            busy_cores: 0,
            line: VecDeque::new(),
            sharing: match discipline {
                CoreDiscipline::Fifo => None,
                CoreDiscipline::ProcessorSharing => Some(Sharing::new(cores)),
            },
            gauges: HostGauges::default(),
        }
    }

    /// `frame` of `instance` asks for a core (FIFO); true if it got one.
    pub fn acquire(&mut self, instance: InstanceId, frame: SlabKey, now: SimTime) -> bool {
        if self.busy_cores < self.cores {
            self.busy_cores += 1;
            self.gauges.busy.increment(now);
            true
        } else {
            self.line.push_back((instance, frame));
            self.gauges.waiting.increment(now);
            false
        }
    }

    /// A core is freed (FIFO): returns who it passes to, if anyone waits.
    pub fn release(&mut self, now: SimTime) -> Option<(InstanceId, SlabKey)> {
        debug_assert!(self.busy_cores > 0);
        let next = self.line.pop_front();
        if next.is_none() {
            self.busy_cores -= 1;
            self.gauges.busy.decrement(now);
        } else {
            self.gauges.waiting.decrement(now);
        }
        next
    }

    /// `instance` died: its waiters leave the line (returned, to be failed
    /// or dropped). The cores its computing frames held are handed on by
    /// the caller, one `release` each.
    pub fn remove_instance(&mut self, instance: InstanceId, now: SimTime) -> Vec<SlabKey> {
        let mut stranded = Vec::new();
        self.line.retain(|&(owner, frame)| {
            if owner == instance {
                stranded.push(frame);
            }
            owner != instance
        });
        self.gauges.waiting.set(now, self.line.len() as u64);
        stranded
    }

    /// Ends the window at `now`: the host's mean busy cores and mean steps
    /// waiting over it, kept in the totals if `keep`.
    pub fn close_window(&mut self, now: SimTime, elapsed_ns: u128, keep: bool) -> (f64, f64) {
        let gauges = &mut self.gauges;
        let busy = gauges.busy.close_window(now);
        let waiting = gauges.waiting.close_window(now);
        if keep {
            gauges.busy_area += busy;
            gauges.waiting_area += waiting;
            gauges.elapsed_ns += elapsed_ns;
        }
        per_elapsed(busy, waiting, elapsed_ns)
    }

    /// The mean busy cores and steps waiting over the kept windows.
    pub fn totals(&self) -> (f64, f64) {
        let gauges = &self.gauges;
        per_elapsed(gauges.busy_area, gauges.waiting_area, gauges.elapsed_ns)
    }
}

fn per_elapsed(busy: u128, waiting: u128, elapsed_ns: u128) -> (f64, f64) {
    if elapsed_ns == 0 {
        return (0.0, 0.0);
    }
    (
        busy as f64 / elapsed_ns as f64,
        waiting as f64 / elapsed_ns as f64,
    )
}

/// Processor sharing on one host's cores: the steps in service and the
/// virtual time they share.
#[derive(Debug)]
pub struct Sharing {
    cores: u32,
    /// CPU time (ns on a core) each step in service has received since
    /// the start, as of `updated`.
    virtual_ns: f64,
    updated: SimTime,
    /// The steps in service, smallest tag first (ties in start order).
    jobs: BinaryHeap<Reverse<Job>>,
    started: u64,
    /// The generation of the host's one pending end event; an event with
    /// another token is stale and ignored.
    pub token: u32,
    /// Steps in service per station placed on the host (few: a linear
    /// search), to set each station's CPU gauge to its share.
    pub per_station: Vec<(StationId, u32)>,
}

/// One step in service on a processor-sharing host.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// Virtual time at which it is done (an `f64`'s bits: tags are never
    /// negative, so the bits order as the numbers do).
    tag: u64,
    /// Start order, to break ties in tags deterministically.
    order: u64,
    pub started: SimTime,
    /// Its CPU time on a whole core, in ns.
    pub work_ns: f64,
    pub instance: InstanceId,
    pub station: StationId,
    /// The event its end stands for (`ComputeDone`, `ApplyDone`).
    pub done: Event,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        (self.tag, self.order) == (other.tag, other.order)
    }
}
impl Eq for Job {}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Job {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.tag, self.order).cmp(&(other.tag, other.order))
    }
}

impl Sharing {
    fn new(cores: u32) -> Self {
        Sharing {
            cores,
            virtual_ns: 0.0,
            updated: SimTime::ZERO,
            jobs: BinaryHeap::new(),
            started: 0,
            token: 0,
            per_station: Vec::new(),
        }
    }

    /// Steps in service.
    pub fn len(&self) -> u32 {
        self.jobs.len() as u32
    }

    /// Cores busy: min(steps, cores).
    pub fn busy_cores(&self) -> u32 {
        self.len().min(self.cores)
    }

    /// The share of a core each step in service gets: min(1, cores / n).
    fn rate(&self) -> f64 {
        let n = self.len();
        if n <= self.cores {
            1.0
        } else {
            self.cores as f64 / n as f64
        }
    }

    /// Brings virtual time up to `now`.
    fn advance(&mut self, now: SimTime) {
        let elapsed = now.since(self.updated).as_nanos();
        if elapsed > 0 && !self.jobs.is_empty() {
            self.virtual_ns += elapsed as f64 * self.rate();
        }
        self.updated = now;
    }

    /// A step of `instance` (of `station`) needing `work_ns` on a whole core
    /// starts at `now`; `done` is what its end stands for.
    pub fn start(
        &mut self,
        now: SimTime,
        work_ns: f64,
        instance: InstanceId,
        station: StationId,
        done: Event,
    ) {
        self.advance(now);
        let tag = self.virtual_ns + work_ns.max(0.0);
        self.jobs.push(Reverse(Job {
            tag: tag.to_bits(),
            order: self.started,
            started: now,
            work_ns,
            instance,
            station,
            done,
        }));
        self.started += 1;
        self.count(station, 1);
    }

    /// The step with the smallest tag ends at `now` (its event came due):
    /// virtual time is at its tag (the event's time was rounded to the
    /// nanosecond).
    pub fn finish_next(&mut self, now: SimTime) -> Job {
        self.advance(now);
        let Reverse(job) = self.jobs.pop().expect("a step in service");
        self.virtual_ns = self.virtual_ns.max(f64::from_bits(job.tag));
        self.count(job.station, -1);
        job
    }

    /// `instance` died: its steps leave service at `now` (returned, for
    /// their ends to be delivered and find the instance dead).
    pub fn remove_instance(&mut self, instance: InstanceId, now: SimTime) -> Vec<Job> {
        self.advance(now);
        let mut removed = Vec::new();
        self.jobs.retain(|Reverse(job)| {
            if job.instance == instance {
                removed.push(*job);
            }
            job.instance != instance
        });
        for job in &removed {
            self.count(job.station, -1);
        }
        removed
    }

    /// How long from now until the smallest tag's step ends, if any step
    /// is in service (at the current share, which holds until the next
    /// start or end).
    pub fn next_end(&self) -> Option<SimDuration> {
        let Reverse(first) = self.jobs.peek()?;
        let left = (f64::from_bits(first.tag) - self.virtual_ns).max(0.0);
        Some(SimDuration::from_nanos_f64(left / self.rate()))
    }

    /// `station`'s CPU gauge level: its steps' share of the cores, in
    /// 1/`CPU_SHARE_SCALE` of a core.
    pub fn station_level(&self, steps: u32) -> u64 {
        let n = self.len() as u128;
        let scaled = steps as u128 * CPU_SHARE_SCALE as u128;
        if n <= self.cores as u128 {
            scaled as u64
        } else {
            (scaled * self.cores as u128 / n) as u64
        }
    }

    fn count(&mut self, station: StationId, delta: i32) {
        let entry = match self.per_station.iter_mut().find(|(id, _)| *id == station) {
            Some(entry) => entry,
            None => {
                self.per_station.push((station, 0));
                self.per_station.last_mut().expect("just pushed")
            }
        };
        entry.1 = entry
            .1
            .checked_add_signed(delta)
            .expect("steps in service never below zero");
    }
}

/// Builds the hosts and places every instance of each hosted component on
/// its host: its cores become the host's, and a limit (every computing
/// frame takes one).
pub(super) fn place(builder: &mut Builder) -> IdVec<HostId, Host> {
    let scenario = builder.scenario;
    let hosts: IdVec<HostId, Host> = scenario
        .hosts
        .hosts
        .iter()
        .map(|host| Host::new(&host.name, host.cores, host.discipline))
        .collect();
    for &(component, host) in &scenario.hosts.placements {
        let cores = hosts[host].cores;
        let placed: Vec<InstanceId> = match component {
            Placed::Pool(pool) => {
                let station: &Station = &builder.stations[builder.station_ids[pool]];
                station.instance_ids().collect()
            }
            _ => builder
                .roles
                .iter_enumerated()
                .filter(|&(_, role)| match (component, role) {
                    (Placed::Database(database), Role::DatabaseNode { database: of, .. }) => database == *of,
                    (Placed::Cache(cache), Role::CacheNode { cache: of, .. }) => cache == *of,
                    _ => false,
                })
                .map(|(id, _)| id)
                .collect(),
        };
        for id in placed {
            let instance = &mut builder.instances[id];
            instance.host = Some(host);
            instance.cores = cores;
            instance.cores_limit = true;
            let station = instance.station;
            builder.stations[station].cores_per_instance = cores;
            builder.stations[station].host = Some(host);
        }
    }
    hosts
}

/// The stations whose instances stand on a processor-sharing host.
pub(super) fn shared_stations(builder: &Builder, hosts: &IdVec<HostId, Host>) -> Vec<StationId> {
    let mut shared: Vec<StationId> = builder
        .instances
        .iter()
        .filter(|instance| instance.host.is_some_and(|host| hosts[host].sharing.is_some()))
        .map(|instance| instance.station)
        .collect();
    shared.dedup();
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: u32) -> SlabKey {
        SlabKey { index, generation: 0 }
    }

    #[test]
    fn instances_share_the_cores_in_arrival_order() {
        let mut host = Host::new("box", 1, CoreDiscipline::Fifo);
        let now = SimTime::ZERO;
        assert!(host.acquire(InstanceId(0), key(1), now));
        assert!(!host.acquire(InstanceId(1), key(2), now));
        assert!(!host.acquire(InstanceId(0), key(3), now));
        assert_eq!(host.release(now), Some((InstanceId(1), key(2))));
        assert_eq!(host.release(now), Some((InstanceId(0), key(3))));
        assert_eq!(host.release(now), None);
        assert_eq!(host.busy_cores, 0);
    }

    #[test]
    fn a_dead_instance_leaves_the_line() {
        let mut host = Host::new("box", 1, CoreDiscipline::Fifo);
        let now = SimTime::ZERO;
        host.acquire(InstanceId(0), key(1), now);
        host.acquire(InstanceId(1), key(2), now);
        host.acquire(InstanceId(0), key(3), now);
        assert_eq!(host.remove_instance(InstanceId(1), now), vec![key(2)]);
        assert_eq!(host.release(now), Some((InstanceId(0), key(3))));
    }

    #[test]
    fn the_fifo_host_gauges_count_busy_cores_and_the_line() {
        let mut host = Host::new("box", 1, CoreDiscipline::Fifo);
        host.acquire(InstanceId(0), key(1), SimTime(0));
        host.acquire(InstanceId(0), key(2), SimTime(10)); // waits 10..30
        host.release(SimTime(30)); // key(2) takes the core
        host.release(SimTime(40));
        assert_eq!(host.close_window(SimTime(100), 100, true), (0.4, 0.2));
        assert_eq!(host.totals(), (0.4, 0.2));
    }

    fn frame_done(index: u32) -> Event {
        Event::ComputeDone { frame: key(index) }
    }

    fn ends(sharing: &mut Sharing, at: u64) -> (u64, u32) {
        let now = SimTime(at + sharing.next_end().expect("a step in service").as_nanos());
        let job = sharing.finish_next(now);
        let Event::ComputeDone { frame } = job.done else {
            unreachable!()
        };
        (now.0, frame.index)
    }

    /// One core, two steps of 100 ns and 300 ns starting together: each
    /// runs at half a core, so the short one ends at 200 ns; the long one
    /// has 200 ns left, alone at a whole core: it ends at 400 ns. Both
    /// together took their total work, 400 ns (work conservation).
    #[test]
    fn steps_in_service_share_a_core_equally() {
        let mut sharing = Sharing::new(1);
        let station = StationId(0);
        sharing.start(SimTime(0), 100.0, InstanceId(0), station, frame_done(1));
        sharing.start(SimTime(0), 300.0, InstanceId(1), station, frame_done(2));
        assert_eq!(
            sharing.station_level(2),
            CPU_SHARE_SCALE,
            "two steps share one core"
        );
        assert_eq!(ends(&mut sharing, 0), (200, 1));
        assert_eq!(ends(&mut sharing, 200), (400, 2));
        assert_eq!(sharing.len(), 0);
    }

    /// Two cores and two steps: no sharing, each runs at a whole core. A
    /// third that arrives at 50 ns slows all three to 2/3 of a core.
    #[test]
    fn with_no_more_steps_than_cores_each_has_a_whole_one() {
        let mut sharing = Sharing::new(2);
        let station = StationId(0);
        sharing.start(SimTime(0), 100.0, InstanceId(0), station, frame_done(1));
        sharing.start(SimTime(0), 100.0, InstanceId(0), station, frame_done(2));
        assert_eq!(sharing.next_end(), Some(SimDuration::from_nanos(100)));
        sharing.start(SimTime(50), 100.0, InstanceId(0), station, frame_done(3));
        // The first two have 50 ns left at 2/3 of a core: 75 ns more.
        assert_eq!(sharing.next_end(), Some(SimDuration::from_nanos(75)));
        assert_eq!(sharing.busy_cores(), 2);
        assert_eq!(sharing.station_level(3), 2 * CPU_SHARE_SCALE);
        assert_eq!(sharing.station_level(1), 2 * CPU_SHARE_SCALE / 3);
        assert_eq!(ends(&mut sharing, 50), (125, 1));
        assert_eq!(
            ends(&mut sharing, 125),
            (125, 2),
            "a tie ends in start order, at once"
        );
        // The third had 50 ns done (75 ns at 2/3); alone, it ends 50 ns later.
        assert_eq!(ends(&mut sharing, 125), (175, 3));
    }

    #[test]
    fn a_dead_instance_leaves_the_service() {
        let mut sharing = Sharing::new(1);
        let station = StationId(0);
        sharing.start(SimTime(0), 100.0, InstanceId(0), station, frame_done(1));
        sharing.start(SimTime(0), 100.0, InstanceId(1), station, frame_done(2));
        let removed = sharing.remove_instance(InstanceId(1), SimTime(50));
        assert_eq!(removed.len(), 1);
        assert_eq!(sharing.per_station, vec![(station, 1)]);
        // 25 ns done at half a core; 75 ns left at a whole one.
        assert_eq!(ends(&mut sharing, 50), (125, 1));
    }
}
