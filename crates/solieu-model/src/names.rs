//! Enums whose values each have one name, written once: the list of names,
//! the name of a value, parsing (an error that names every valid value) and
//! display all come from the same declaration, so that `--help`, the API's
//! errors and the documents never disagree on the valid values.

use std::fmt;

/// A name that is none of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// What was expected ("report format").
    pub what: &'static str,
    /// The name given.
    pub given: String,
    /// Every valid name.
    pub names: &'static [&'static str],
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}'; expected {}",
            self.what,
            crate::text::clip(&self.given, 60),
            one_of(self.names)
        )
    }
}

impl std::error::Error for Unknown {}

/// `a, b or c`.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Declares an enum with one name per value:
///
/// ```
/// solieu_model::named! {
///     /// A colour.
///     pub enum Colour ("colour") {
///         /// Red.
///         Red = "red",
///         /// Green.
///         Green = "green",
///     }
/// }
/// assert_eq!("green".parse::<Colour>().unwrap(), Colour::Green);
/// assert_eq!(Colour::Red.name(), "red");
/// assert_eq!(
///     "blue".parse::<Colour>().unwrap_err().to_string(),
///     "unknown colour 'blue'; expected red or green"
/// );
/// ```
#[macro_export]
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value's name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::Unknown;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::names::Unknown {
                        what: $what,
                        given: other.to_string(),
                        names: $name::NAMES,
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::named! {
        /// Test.
        pub enum Fmt ("format") {
            /// a
            A = "a",
            /// b
            B = "b-b",
            /// c
            C = "c",
        }
    }

    #[test]
    fn names_round_trip_and_errors_name_every_value() {
        for f in Fmt::ALL {
            assert_eq!(f.name().parse::<Fmt>().unwrap(), *f);
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(Fmt::NAMES, &["a", "b-b", "c"]);
        let e = "x".parse::<Fmt>().unwrap_err();
        assert_eq!(e.to_string(), "unknown format 'x'; expected a, b-b or c");
        assert_eq!(super::one_of(&["a"]), "a");
        assert_eq!(super::one_of(&["a", "b"]), "a or b");
    }
}
