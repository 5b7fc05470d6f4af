//! The model's side of processor-sharing hosts (`discipline =
//! "processor_sharing"` on `[host.*]`): a computing step (a frame's compute
//! op, a replica's apply) joins the host's steps in service, the host keeps
//! one pending end event (`HostShareDone`, rescheduled with a new token at
//! every start and end), and every change of the number in service resets
//! the CPU gauges of the stations on the host to their shares. The
//! discipline itself, in virtual time, is `host::Sharing`.
//!
//! A step's wait for a core (`cpu_wait_mean_ms`) is, here, how much longer
//! than its own CPU time it took: the time the others' shares cost it.

use super::{Event, Model};
use crate::engine::EventQueue;
use crate::model::ids::InstanceId;
use crate::scenario::ids::HostId;

impl Model {
    /// A step of `instance` needing `work_ns` on a whole core starts on
    /// its processor-sharing `host`; `done` is delivered when it ends.
    pub(super) fn share_start(
        &mut self,
        host: HostId,
        instance: InstanceId,
        work_ns: f64,
        done: Event,
        queue: &mut EventQueue<Event>,
    ) {
        let station = self.instances[instance].station;
        let sharing = self.hosts[host]
            .sharing
            .as_mut()
            .expect("a processor-sharing host");
        sharing.start(queue.now(), work_ns, instance, station, done);
        self.share_changed(host, queue);
    }

    /// The host's end event came due: unless a start or end since made it
    /// stale, the step with the smallest tag ends.
    pub(super) fn share_done(&mut self, host: HostId, token: u32, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let sharing = self.hosts[host]
            .sharing
            .as_mut()
            .expect("a processor-sharing host");
        if sharing.token != token {
            return;
        }
        let job = sharing.finish_next(now);
        let stretch_ns = (now.since(job.started).as_nanos() as f64 - job.work_ns).round();
        let counters = &mut self.station_metrics[job.station].window;
        if stretch_ns >= 1.0 {
            counters.core_waited += 1;
            counters.core_wait_ns += stretch_ns as u128;
        }
        self.share_changed(host, queue);
        match job.done {
            Event::ComputeDone { frame } => self.end_compute(frame, true, queue),
            Event::ApplyDone {
                database,
                node,
                seq,
                epoch,
            } => self.apply_done(database, node, seq, epoch, queue),
            other => unreachable!("a shared step ends with a compute or an apply, not {other:?}"),
        }
    }

    /// `instance` died: its steps leave the host's service at once (its
    /// cores' shares go to the others). Returns the frames among them, for
    /// the caller to abandon; a replica's applies of a dead node are
    /// simply dropped, as their ends would be.
    pub(super) fn share_kill(
        &mut self,
        host: HostId,
        instance: InstanceId,
        queue: &mut EventQueue<Event>,
    ) -> Vec<crate::engine::SlabKey> {
        let sharing = self.hosts[host]
            .sharing
            .as_mut()
            .expect("a processor-sharing host");
        let removed = sharing.remove_instance(instance, queue.now());
        if removed.is_empty() {
            return Vec::new();
        }
        self.share_changed(host, queue);
        removed
            .iter()
            .filter_map(|job| match job.done {
                Event::ComputeDone { frame } => Some(frame),
                _ => None,
            })
            .collect()
    }

    /// The number of steps in service changed: each station's CPU gauge
    /// becomes its share, the host's gauges its busy cores and steps beyond
    /// them, and the end event is rescheduled for the new smallest tag at
    /// the new share.
    fn share_changed(&mut self, host: HostId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let state = &mut self.hosts[host];
        let sharing = state.sharing.as_mut().expect("a processor-sharing host");
        for &(station, steps) in &sharing.per_station {
            self.station_metrics[station]
                .cpu
                .set(now, sharing.station_level(steps));
        }
        let busy = sharing.busy_cores();
        state.gauges.busy.set(now, busy as u64);
        state.gauges.waiting.set(now, (sharing.len() - busy) as u64);
        sharing.token = sharing.token.wrapping_add(1);
        if let Some(delay) = sharing.next_end() {
            let token = sharing.token;
            queue.schedule_in(delay, Event::HostShareDone { host, token });
        }
    }
}
