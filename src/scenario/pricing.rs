//! What a scenario leaves unpriced or without_size, said plainly: `capsim
//! validate` and `capsim run` print these notes so a $0 or a 0-byte count
//! is never silent. They change no result.

use super::geo::Placed;
use super::ids::PoolId;
use super::types::Scenario;

impl Scenario {
    /// One line per database and per cache without a `size`, and, when traffic between
    /// regions is priced, one per kind of message whose size is unknown.
    pub fn pricing_notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .databases
            .iter()
            .filter(|database| database.size.is_none())
            .map(|database| {
                format!(
                    "database `{}` has no `size`: one core per connection at speed 1, unpriced — \
                     give it a size such as db.m5.large",
                    database.name
                )
            })
            .collect();
        notes.extend(
            self.caches
                .iter()
                .filter(|cache| cache.size.is_none())
                .map(|cache| {
                    format!(
                        "cache `{}` has no `size`: {} at speed 1 (its `threads`), unpriced — \
                 give it a size such as r5.large",
                        cache.name,
                        if cache.threads == 1 {
                            "one core".to_owned()
                        } else {
                            format!("{} cores", cache.threads)
                        }
                    )
                }),
        );
        if !self.prices_traffic_between_regions() {
            return notes;
        }
        let without_size: Vec<String> = self
            .pools
            .iter_enumerated()
            .filter(|&(pool, _)| self.geo.datacenter_of(Placed::Pool(pool)).is_some())
            .flat_map(|(_, pool): (PoolId, _)| {
                pool.endpoints
                    .iter()
                    .filter(|endpoint| endpoint.request_size.is_none() || endpoint.response_size.is_none())
                    .map(move |endpoint| format!("{}/{}", pool.name, endpoint.name))
            })
            .collect();
        if !without_size.is_empty() {
            notes.push(format!(
                "traffic between regions: {} without `request_size` or `response_size` send or \
                 return 0 bytes (between regions and through balancers) for what they leave out: {}",
                if without_size.len() == 1 {
                    "an endpoint"
                } else {
                    "endpoints"
                },
                without_size.join(", ")
            ));
        }
        for (id, database) in self.databases.iter_enumerated() {
            let placed = self.geo.datacenter_of(Placed::Database(id)).is_some();
            if placed && database.keyspace.is_none() {
                notes.push(format!(
                    "traffic between regions: database `{}` has no keyspace, so its reads, writes \
                     and replication count 0 bytes (a keyspace's `value_size` sizes them)",
                    database.name
                ));
            }
        }
        notes
    }

    /// Whether two regions hold data centers and traffic between some pair
    /// of them has a price.
    fn prices_traffic_between_regions(&self) -> bool {
        let regions: std::collections::BTreeSet<_> = self
            .geo
            .datacenters
            .iter()
            .map(|datacenter| datacenter.region)
            .collect();
        let default = self.network.price_per_gb_between_regions;
        regions.iter().any(|&a| {
            regions
                .iter()
                .any(|&b| a != b && self.geo.price_per_gb(a, b, default) > 0.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    fn notes(text: &str) -> Vec<String> {
        load_str(text).expect("valid").scenario.pricing_notes()
    }

    const BASE: &str = "[scenario]\nduration = \"10s\"\n[workload]\narrivals = { kind = \"open\", rate = \"1/s\" }\n\
                        mix = [{ class = \"a\", call = \"web/a\" }]\n";

    #[test]
    fn a_database_or_cache_without_a_size_is_named_once() {
        let text = format!(
            "{BASE}[pool.web]\nworkers = 1\nendpoint.a = {{ service = \"1ms\", steps = [{{ read = \"db\" }}] }}\n\
             [database.db]\n[database.sized]\nsize = \"db.m5.large\"\n\
             [keyspace.k]\nkeys = 10\n[cache.c]\nkeyspace = \"k\"\ncapacity = 5\nthreads = 4\n\
             [cache.sized_cache]\nkeyspace = \"k\"\ncapacity = 5\nsize = \"r5.large\"\n"
        );
        assert_eq!(
            notes(&text),
            [
                "database `db` has no `size`: one core per connection at speed 1, unpriced — give it a size such as db.m5.large",
                "cache `c` has no `size`: 4 cores at speed 1 (its `threads`), unpriced — give it a size such as r5.large"
            ]
        );
    }

    #[test]
    fn unsized_endpoints_are_named_only_when_traffic_between_regions_is_priced() {
        let geo = "[region.us]\nusers = 1\n[region.eu]\nusers = 1\n[datacenter.a]\nregion = \"us\"\n\
                   [datacenter.b]\nregion = \"eu\"\n";
        let pools = "[pool.web]\nworkers = 1\ndatacenter = \"a\"\nendpoint.a = { service = \"1ms\", request_size = \"1KiB\" }\n";
        let text = format!("{BASE}{geo}{pools}");
        assert_eq!(notes(&text).len(), 1, "{:?}", notes(&text));
        assert!(notes(&text)[0].ends_with(": web/a"), "{:?}", notes(&text));
        let free = format!("{BASE}{geo}[network]\nprice_per_gb_between_regions = 0\n{pools}");
        assert!(notes(&free).is_empty(), "{:?}", notes(&free));
    }
}
