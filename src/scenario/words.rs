//! Enums whose values a scenario writes as words (`policy = "round_robin"`),
//! each declared once: its variants, their words and docs. From that one
//! declaration come the loader's choices (`NAMES`, `ALL`), the word a dump
//! writes (`name`) and the JSON Schema (a string enum whose values carry the
//! variants' docs), so the loader, the schema and the dump cannot disagree.

/// Declares a word enum: `words! { /// doc  pub enum Policy { /// doc  RoundRobin = "round_robin", … } }`.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
        pub enum $name {
            $($(#[$variant_meta])* #[schemars(rename = $word)] $variant,)+
        }

        impl $name {
            /// Every word, in declaration order.
            pub const NAMES: [&'static str; [$($word),+].len()] = [$($word),+];
            /// Every variant, in the order of `NAMES`.
            pub const ALL: [$name; [$($word),+].len()] = [$($name::$variant),+];

            /// The word a scenario writes for this value.
            pub fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }
        }

        impl $crate::scenario::words::Words for $name {
            const NAMES: &'static [&'static str] = &$name::NAMES;
            const ALL: &'static [Self] = &$name::ALL;

            fn name(self) -> &'static str {
                $name::name(self)
            }
        }
    };
}

pub(crate) use words;

/// What every word enum offers, for code generic over them (a section's
/// word-valued key).
pub trait Words: Copy + schemars::JsonSchema + 'static {
    /// Every word, in declaration order.
    const NAMES: &'static [&'static str];
    /// Every variant, in the order of `NAMES`.
    const ALL: &'static [Self];
    /// The word a scenario writes for this value.
    fn name(self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use crate::scenario::types::Eviction;

    #[test]
    fn names_and_variants_line_up() {
        for (index, eviction) in Eviction::ALL.iter().enumerate() {
            assert_eq!(eviction.name(), Eviction::NAMES[index]);
        }
        assert_eq!(Eviction::PerfectLfu.name(), "perfect_lfu");
    }

    #[test]
    fn the_schema_lists_the_words_with_their_docs() {
        let schema = schemars::schema_for!(Eviction);
        let text = serde_json::to_string(&schema).unwrap();
        for word in Eviction::NAMES {
            assert!(text.contains(&format!("\"{word}\"")), "{word} missing in {text}");
        }
        assert!(text.contains("Least recently used"), "{text}");
    }
}
