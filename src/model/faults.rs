//! Faults and what follows them: kills (crash or hang), restores and
//! slow-downs of instances and nodes, scheduled or random (MTBF/MTTR);
//! balancer health checks that take dead instances out of rotation; and
//! database failover (detection, promotion of the most up-to-date replica,
//! writes lost with the old primary).

use super::frame::{InstanceId, NO_PARENT};
use super::ids::{
    BalancerId, DatabaseId, DatabaseNodeId, DatacenterId, FaultSourceId, MemberId, QueueId, ShardId,
};
use super::sampler::Sampler;
use super::{Event, Model, Role};
use crate::engine::{EventQueue, SimDuration, SimTime, StreamId};
use crate::scenario::{FaultAction, FaultTime, KillKeys, KillMode, Scenario, SlowKeys};

/// A fault of the scenario, resolved to the instances it hits.
#[derive(Debug)]
pub struct FaultSource {
    pub label: String,
    pub instances: Vec<InstanceId>,
    pub action: FaultAction,
    pub when: FaultTime,
    /// Random faults: up-time and repair-time draws.
    pub random: Option<(Sampler, Sampler, StreamId)>,
    /// The drill opened by the current occurrence, if any.
    pub drill: Option<usize>,
    /// Balancers it kills with their data center.
    pub balancers: Vec<BalancerId>,
    /// The two data centers a partition separates.
    pub partition: Option<(DatacenterId, DatacenterId)>,
    /// A broker fault: the queue's index.
    pub queue: Option<QueueId>,
}

impl FaultSource {
    pub fn new(
        scenario: &Scenario,
        index: usize,
        instances: Vec<InstanceId>,
        streams: &mut crate::engine::Streams,
    ) -> Self {
        let fault = &scenario.faults[index];
        let random = match &fault.when {
            FaultTime::Random { mtbf, mttr } => Some((
                Sampler::new(mtbf),
                Sampler::new(mttr),
                streams.register(&format!("faults[{index}].random")),
            )),
            FaultTime::At { .. } => None,
        };
        FaultSource {
            label: scenario.fault_label(&fault.target),
            instances,
            action: fault.action,
            when: fault.when.clone(),
            random,
            drill: None,
            balancers: Vec::new(),
            partition: None,
            queue: None,
        }
    }
}

impl Model {
    fn random_delay(&mut self, source: FaultSourceId, repair: bool) -> SimDuration {
        let (up, down, stream) = self.fault_sources[source]
            .random
            .as_ref()
            .expect("a random fault");
        let sampler = if repair { down } else { up };
        SimDuration::from_nanos_f64(sampler.sample(self.streams.get(*stream)))
    }

    pub(super) fn schedule_faults(&mut self, queue: &mut EventQueue<Event>) {
        for source in self.fault_sources.ids() {
            match self.fault_sources[source].when {
                FaultTime::At { at, lasting } => {
                    let id = source;
                    // A restore is not undone (the loader refuses `for` on
                    // one): its end schedules nothing.
                    let lasting = lasting
                        .filter(|_| !matches!(self.fault_sources[source].action, FaultAction::Restore));
                    queue.schedule_at(
                        SimTime::ZERO + at,
                        Event::Fault {
                            source: id,
                            undo: false,
                        },
                    );
                    if let Some(lasting) = lasting {
                        queue.schedule_at(
                            SimTime::ZERO + at + lasting,
                            Event::Fault {
                                source: id,
                                undo: true,
                            },
                        );
                    }
                }
                FaultTime::Random { .. } => {
                    let delay = self.random_delay(source, false);
                    queue.schedule_in(delay, Event::Fault { source, undo: false });
                }
            }
        }
    }

    /// Applies (or undoes) fault source `source`.
    #[inline(never)]
    pub(super) fn fault(&mut self, source: FaultSourceId, undo: bool, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let action = self.fault_sources[source].action;
        let instances = self.fault_sources[source].instances.clone();
        let label = self.fault_sources[source].label.clone();
        let broker = self.fault_sources[source].queue;
        let mut lost_messages = 0;
        let (kind, detail) = match (action, undo) {
            (FaultAction::Kill(KillKeys { mode }), false) => {
                for &instance in &instances {
                    self.kill_instance(instance, mode, queue);
                }
                self.set_balancers_down(source, Some(mode));
                if let Some(broker) = broker {
                    lost_messages = self.crash_broker(broker, queue);
                }
                ("kill", mode.name().to_owned())
            }
            (FaultAction::Slow(SlowKeys { factor, add }), false) => {
                for &instance in &instances {
                    let instance = &mut self.instances[instance];
                    instance.slow_factor = factor;
                    instance.slow_add_ns = add.as_nanos() as f64;
                }
                ("slow", format!("×{factor} +{add}"))
            }
            (FaultAction::Restore, false) | (FaultAction::Kill(_) | FaultAction::Slow(_), true) => {
                for &instance in &instances {
                    self.restore_instance(instance, queue);
                }
                self.set_balancers_down(source, None);
                if let Some(broker) = broker {
                    self.restore_broker(broker, queue);
                }
                ("restore", String::new())
            }
            (FaultAction::Partition, false) => {
                self.partition(source, false, queue);
                ("partition", "messages between them are lost".to_owned())
            }
            (FaultAction::Partition, true) => {
                self.partition(source, true, queue);
                ("heal", String::new())
            }
            // Never scheduled (see `schedule_faults`): nothing to undo.
            (FaultAction::Restore, true) => return,
        };
        self.log(now, kind, &label, detail);
        if kind != "restore" && kind != "heal" {
            let drill = self.open_drill(source, now);
            self.fault_sources[source].drill = drill;
            if let (Some(drill), Some(_)) = (drill, broker) {
                // Producers learn at once: their enqueues fail.
                self.drills[drill].detected = Some(now);
                self.drills[drill].lost_messages = lost_messages;
            }
        }
        if self.fault_sources[source].random.is_some() {
            let delay = self.random_delay(source, !undo);
            queue.schedule_in(delay, Event::Fault { source, undo: !undo });
        }
    }

    /// Kills an instance: its queues are emptied (frames reset or dropped),
    /// its resources freed, and whoever depends on it learns in time.
    fn kill_instance(&mut self, id: InstanceId, mode: KillMode, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        if !self.instances[id].up {
            return;
        }
        let instance = &self.instances[id];
        let metrics = &mut self.station_metrics[instance.station];
        let waiting = (instance.waiting.len() + instance.resuming.len()) as u64;
        metrics
            .busy
            .set(now, metrics.busy.level() - instance.busy_workers as u64);
        // (On a processor-sharing host `share_kill` resets the CPU gauge.)
        let shared = instance
            .host
            .is_some_and(|host| self.hosts[host].sharing.is_some());
        if !shared {
            metrics
                .cpu
                .set(now, metrics.cpu.level() - instance.computing as u64);
        }
        metrics.queued.set(now, metrics.queued.level() - waiting);
        metrics
            .present
            .set(now, metrics.present.level() - instance.present as u64);
        let hung = mode == KillMode::Hang;
        self.lose_sessions(id, now);
        self.instances[id].died_at = now;
        // On a host, the cores its computing frames hold go back to the
        // host's line, and its own waiters leave it.
        let (host, held) = (self.instances[id].host, self.instances[id].computing);
        let mut stranded = self.instances[id].kill(hung);
        if let Some(host) = host {
            stranded.extend(self.hosts[host].remove_instance(id, now));
            if shared {
                stranded.extend(self.share_kill(host, id, queue));
            }
        }
        for frame in stranded {
            if self.frames.get(frame).is_some() {
                self.abandon(frame, queue);
            }
        }
        if host.is_some() && !shared {
            for _ in 0..held {
                self.pass_core(id, queue);
            }
        }
        let station = self.instances[id].station;
        self.rebill(station, now);
        match self.roles[id] {
            Role::CacheNode { cache, node } => self.caches[cache].kill(node, now),
            Role::DatabaseNode { database, node } => {
                // Writes waiting for semi-sync acks on a crashed primary get
                // their connection reset (no event of theirs is pending).
                let state = &mut self.databases[database];
                let shard = state.nodes[node].shard;
                let log = &mut state.shards[shard].log;
                let mut waiters = Vec::new();
                for entry in log.iter_mut() {
                    if self
                        .frames
                        .get(entry.waiter)
                        .is_some_and(|frame| frame.instance == id)
                    {
                        waiters.push(std::mem::replace(&mut entry.waiter, NO_PARENT));
                    }
                }
                for waiter in waiters {
                    self.abandon(waiter, queue);
                }
                self.schedule_detection(database, node, queue);
            }
            Role::CdnEdge { cdn, edge } => self.cdn_edge_killed(cdn, edge, queue),
            Role::Service => {}
        }
    }

    /// The live sticky sessions on a dying instance are lost.
    fn lose_sessions(&mut self, id: InstanceId, now: SimTime) {
        let epoch = self.instances[id].epoch;
        for index in self.balancers.ids() {
            let balancer = &mut self.balancers[index];
            let Some(local) = balancer.member(id) else {
                continue;
            };
            let Some(sessions) = &mut balancer.sessions else {
                continue;
            };
            let (relogin, must_login) = (self.relogin.is_some(), &mut self.must_login);
            let lost = sessions.lose(local, epoch, now, |user| {
                if relogin {
                    must_login.set(user, true);
                }
            });
            if lost == 0 {
                continue;
            }
            let scope = self.balancer_names[index].clone();
            self.log(
                now,
                "sessions_lost",
                &scope,
                format!("{lost} sessions on instance {local}"),
            );
        }
    }

    fn restore_instance(&mut self, id: InstanceId, queue: &mut EventQueue<Event>) {
        let instance = &mut self.instances[id];
        instance.slow_factor = 1.0;
        instance.slow_add_ns = 0.0;
        if instance.up {
            return;
        }
        instance.restore();
        let station = instance.station;
        self.rebill(station, queue.now());
        // A consumer pulls again; a draining instance with nothing left stops.
        self.after_departure(id, queue);
        match self.roles[id] {
            Role::CacheNode { cache, node } => self.restart_cache_node(cache, node, queue),
            Role::DatabaseNode { database, node } => {
                let received_before = self.databases[database].nodes[node].received;
                self.rejoin(database, node);
                self.semi_sync_rejoined(database, node, received_before, queue);
                self.schedule_detection(database, node, queue);
            }
            Role::CdnEdge { cdn, edge } => self.cdn_edge_restored(cdn, edge, queue.now()),
            Role::Service => {}
        }
    }

    /// Clients and the failover manager learn of a node's change after the
    /// database's detection time (never, without failover).
    fn schedule_detection(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        queue: &mut EventQueue<Event>,
    ) {
        if let Some(failover) = &self.databases[database].failover {
            // Probes where a health check is configured, else the typed-in time.
            let delay = match &failover.health_check {
                Some(check) => {
                    let instance = &self.instances[self.databases[database].nodes[node].instance];
                    let (threshold, waits) = if instance.up {
                        (check.healthy_threshold, false)
                    } else {
                        (check.unhealthy_threshold, instance.hung)
                    };
                    check.notice_after(queue.now().since(SimTime::ZERO), threshold, waits)
                }
                None => failover.detection,
            };
            queue.schedule_in(delay, Event::NodeDetected { database, node });
        }
    }

    /// A restored database node catches up at once (from a snapshot) and
    /// serves again: as the primary if it still is one, else as a replica.
    fn rejoin(&mut self, database: DatabaseId, node: DatabaseNodeId) {
        let state = &mut self.databases[database];
        let shard = state.nodes[node].shard;
        let position = state.shards[shard].next_seq - 1;
        if !state.is_primary(node)
            && let Some(versions) = &state.version
        {
            state.applied[state.nodes[node].slot] = versions.clone();
        }
        let node = &mut state.nodes[node];
        node.received = position;
        node.applied = position;
        node.applier = Default::default();
    }

    /// A node's death or return is now known.
    #[inline(never)]
    pub(super) fn node_detected(
        &mut self,
        database: DatabaseId,
        node: DatabaseNodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let instance = self.databases[database].nodes[node].instance;
        let up = self.instances[instance].up;
        let state = &mut self.databases[database];
        state.nodes[node].known_down = !up;
        let shard = state.nodes[node].shard;
        let name = state.name.clone();
        let node_name = self.node_label(database, node);
        if up {
            let role = if self.databases[database].is_primary(node) {
                "the primary"
            } else {
                "a replica"
            };
            self.log(
                now,
                "node_back",
                &name,
                format!("{node_name} serves again, as {role}"),
            );
            return;
        }
        self.note_detection(instance, now);
        self.log(now, "detected", &name, format!("{node_name} is down"));
        let state = &mut self.databases[database];
        let shard_state = &state.shards[shard];
        if shard_state.primary != node || shard_state.promoting {
            return;
        }
        let candidates = shard_state
            .replicas
            .iter()
            .filter(|&&replica| !state.nodes[replica].known_down)
            .count();
        if candidates == 0 {
            self.log(
                now,
                "failover_impossible",
                &name,
                format!("shard {shard} has no live replica"),
            );
            return;
        }
        state.shards[shard].promoting = true;
        let promotion = state
            .failover
            .as_ref()
            .expect("detection implies failover")
            .promotion;
        queue.schedule_in(promotion, Event::Promote { database, shard });
    }

    /// The most up-to-date live replica becomes the shard's primary. Writes
    /// the old primary acknowledged that it never received are lost.
    #[inline(never)]
    pub(super) fn promote(&mut self, database: DatabaseId, shard: ShardId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let state = &mut self.databases[database];
        let shard_index = shard;
        let old_primary = state.shards[shard_index].primary;
        let chosen = state.shards[shard_index]
            .replicas
            .iter()
            .copied()
            .filter(|&replica| !state.nodes[replica].known_down)
            .max_by_key(|&replica| (state.nodes[replica].received, std::cmp::Reverse(replica)));
        let Some(chosen) = chosen else {
            state.shards[shard_index].promoting = false;
            let name = state.name.clone();
            self.log(
                now,
                "failover_impossible",
                &name,
                format!("shard {shard} has no live replica"),
            );
            return;
        };
        let received = state.nodes[chosen].received;
        // The new primary first applies what it received but had not applied.
        let relay: Vec<_> = state.shards[shard_index]
            .log
            .iter()
            .filter(|entry| entry.seq > state.nodes[chosen].applied && entry.seq <= received)
            .copied()
            .collect();
        for entry in &relay {
            state.apply_entry(chosen, entry);
        }
        // Acknowledged writes it never received are lost; the keys they
        // changed go back to the version the new primary holds.
        let lost: Vec<_> = state.shards[shard_index]
            .log
            .iter()
            .filter(|entry| entry.seq > received)
            .copied()
            .collect();
        let slot = state.nodes[chosen].slot;
        for entry in &lost {
            let kept = state.applied[slot].get(entry.key);
            if let Some(version) = &mut state.version {
                version.set(entry.key, kept);
            }
        }
        let acknowledged: Vec<_> = lost.iter().filter(|entry| entry.acked).collect();
        let lost_writes = acknowledged.len() as u64;
        let oldest = acknowledged.iter().map(|entry| entry.committed).min();
        // The failed primary's death is the end of the lost window.
        let died = self.instances[state.nodes[old_primary].instance].died_at;
        let rpo = oldest.map_or(SimDuration::ZERO, |oldest| died.since(oldest));
        let state = &mut self.databases[database];
        state.window.lost_writes += lost_writes;
        // Re-point the shard: the chosen replica leads; the old primary (dead)
        // will rejoin as a replica; the others continue from the new primary.
        let shard_state = &mut state.shards[shard_index];
        shard_state.replicas.retain(|&replica| replica != chosen);
        shard_state.replicas.push(old_primary);
        shard_state.primary = chosen;
        shard_state.epoch += 1;
        shard_state.log.retain(|entry| entry.seq <= received);
        shard_state.next_seq = received + 1;
        shard_state.promoting = false;
        // The new primary's semi-sync state starts afresh from its own replicas.
        shard_state.degraded = false;
        let members: Vec<DatabaseNodeId> = shard_state.replicas.iter().copied().chain([chosen]).collect();
        for member in members {
            let node = &mut state.nodes[member];
            node.received = node.received.min(received);
            node.applied = node.applied.min(received);
            node.applier.restart();
        }
        state.prune_log(shard_index);
        let name = state.name.clone();
        // Nodes keep their names (`db.replica[0]`) whatever their role:
        // the event says which one leads now.
        let detail = format!(
            "{} promoted to primary ({} is down, rejoins as a replica); {lost_writes} acknowledged writes lost, RPO {:.3} s",
            self.node_label(database, chosen),
            self.node_label(database, old_primary),
            rpo.as_secs_f64()
        );
        self.log(now, "failover", &name, detail);
        let instance = self.databases[database].nodes[old_primary].instance;
        self.note_data_loss(instance, lost_writes, rpo);
    }

    /// A database node's name, as its rows name it (`db.replica[0]`): its
    /// station's name, kept whatever its role.
    fn node_label(&self, database: DatabaseId, node: DatabaseNodeId) -> String {
        let instance = self.databases[database].nodes[node].instance;
        self.stations[self.instances[instance].station].name.clone()
    }

    /// Each replicated database node's role at the end of the run
    /// (`primary` 1 or 0), so a promoted replica — still called
    /// `db.replica[0]` — shows as the primary in summary.csv.
    pub(super) fn summary_roles(&self, summary: &mut crate::metrics::Summary) {
        for (id, state) in self.databases.iter_enumerated() {
            if state.nodes.len() < 2 {
                continue;
            }
            for node in state.nodes.ids() {
                let flag = if state.is_primary(node) { 1.0 } else { 0.0 };
                summary.push(&self.node_label(id, node), crate::metrics::catalog::PRIMARY, flag);
            }
        }
    }

    /// Health checks of every checked balancer start one interval in.
    pub(super) fn schedule_health_checks(&mut self, queue: &mut EventQueue<Event>) {
        for (balancer, check) in self.health_checks.iter_enumerated() {
            if let Some(check) = check {
                queue.schedule_in(check.interval, Event::HealthCheck { balancer });
            }
        }
    }

    /// Probes every instance of a balancer: an up instance answers, a
    /// crashed one refuses at once, a hung one fails after the timeout.
    #[inline(never)]
    pub(super) fn health_check(&mut self, balancer: BalancerId, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let check = self.health_checks[balancer]
            .clone()
            .expect("checked balancers only");
        let (first, count) = {
            let state = &self.balancers[balancer];
            (state.first_instance, state.instance_count)
        };
        for local in 0..count {
            let instance = MemberId(local).instance(first);
            let state = &self.instances[instance];
            let cut = self.balancer_cut(balancer, instance);
            match (state.up && !cut, state.hung || cut) {
                (true, _) => self.probe_result(balancer, instance, true, now),
                (false, false) => self.probe_result(balancer, instance, false, now),
                (false, true) => queue.schedule_in(check.timeout, Event::ProbeFailed { balancer, instance }),
            }
        }
        queue.schedule_in(check.interval, Event::HealthCheck { balancer });
    }

    /// One probe's outcome: enough failures in a row take the instance out
    /// of rotation; enough successes put it back.
    #[inline(never)]
    pub(super) fn probe_result(
        &mut self,
        balancer: BalancerId,
        instance: InstanceId,
        ok: bool,
        now: SimTime,
    ) {
        let check = self.health_checks[balancer]
            .clone()
            .expect("checked balancers only");
        let state = &mut self.balancers[balancer];
        let local = state
            .member(instance)
            .expect("a probed instance is the balancer's");
        let name = self.balancer_names[balancer].clone();
        if ok {
            state.probe_failures[local] = 0;
            state.probe_successes[local] += 1;
            if !state.healthy(local) && state.probe_successes[local] >= check.healthy_threshold {
                state.set_healthy(local, true);
                self.log(now, "back_in_rotation", &name, format!("instance {local}"));
            }
        } else {
            state.probe_successes[local] = 0;
            state.probe_failures[local] += 1;
            if state.healthy(local) && state.probe_failures[local] >= check.unhealthy_threshold {
                state.set_healthy(local, false);
                self.log(
                    now,
                    "detected",
                    &name,
                    format!("instance {local} out of rotation"),
                );
                self.note_detection(instance, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::SimDuration;
    use crate::scenario::HealthCheck;

    fn check(interval_s: u64, timeout_s: u64) -> HealthCheck {
        HealthCheck {
            interval: SimDuration::from_secs(interval_s),
            timeout: SimDuration::from_secs(timeout_s),
            unhealthy_threshold: 3,
            healthy_threshold: 2,
        }
    }

    #[test]
    fn probes_notice_at_the_threshold_th_probe_after_the_change() {
        let check = check(5, 2);
        // Dead at 12 s: probes at 15, 20, 25 s fail; the third detects.
        assert_eq!(
            check.notice_after(SimDuration::from_secs(12), 3, false),
            SimDuration::from_secs(13)
        );
        // Hung: each probe fails only after its timeout.
        assert_eq!(
            check.notice_after(SimDuration::from_secs(12), 3, true),
            SimDuration::from_secs(15)
        );
        // A change at a probe's own time is seen by the next one.
        assert_eq!(
            check.notice_after(SimDuration::from_secs(10), 1, false),
            SimDuration::from_secs(5)
        );
    }
}
