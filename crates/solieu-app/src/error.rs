//! The errors of the use cases: a stable [`Code`], a message for people and,
//! for refused figures, every located error as data. One place maps a code
//! to an HTTP status (`solieu-server`) and one to an exit code
//! ([`Code::exit_code`]); nobody reads an error's text to decide either.

use std::fmt;

use serde::Serialize;
use solieu_ingest::validate::Diagnostic;
use solieu_store::StoreError;

solieu_model::named! {
    /// What kind of failure: stable, sent to API clients as `error.code`.
    pub enum Code ("error code") {
        /// A malformed request or argument.
        BadRequest = "bad_request",
        /// Figures refused with located errors; nothing was written.
        InvalidSubmission = "invalid_submission",
        /// A validation rule that does not parse or names what does not exist.
        InvalidRule = "invalid_rule",
        /// An approval refused by error-level rule violations.
        RuleViolations = "rule_violations",
        /// No such thing.
        NotFound = "not_found",
        /// No or unknown credentials.
        Unauthenticated = "unauthenticated",
        /// A session's write without its CSRF token.
        Csrf = "csrf",
        /// Known, but not allowed (role or scope).
        Forbidden = "forbidden",
        /// Refused by the state of the data (a store invariant, a round's state).
        Conflict = "conflict",
        /// Figures that fall in closed reporting rounds.
        Locked = "locked",
        /// A body over the size limit.
        TooLarge = "too_large",
        /// Over the rate limit, or a name locked after failed sign-ins.
        RateLimited = "rate_limited",
        /// A body of a media type the route does not take.
        UnsupportedMediaType = "unsupported_media_type",
        /// A method the route does not take.
        MethodNotAllowed = "method_not_allowed",
        /// A request that took too long.
        Timeout = "timeout",
        /// The database cannot be reached; nothing was written; try again.
        Unavailable = "unavailable",
        /// A failure of ours; the cause is logged, never sent.
        Internal = "internal",
    }
}

impl Code {
    /// The process exit code of the command line: 1 for anything the user
    /// can correct, 75 (`EX_TEMPFAIL`) for an unreachable database, 70
    /// (`EX_SOFTWARE`) for an internal failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Code::Unavailable => 75,
            Code::Internal => 70,
            _ => 1,
        }
    }
}

/// One detail of an error: a located error (file, sheet, row, column,
/// value, what was expected) or a line of text. `text` is always the whole
/// line as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Detail {
    /// The whole line.
    pub text: String,
    /// The file (or `submission.json`, `draft`) the value came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The sheet, for workbooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The 1-based row (the item, in a JSON body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The column: a header name, a cell reference or a JSON field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value as found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong and what was expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Detail {
    /// A line of text.
    pub fn text(text: impl Into<String>) -> Detail {
        Detail {
            text: text.into(),
            file: None,
            sheet: None,
            row: None,
            column: None,
            value: None,
            message: None,
        }
    }
}

impl From<&Diagnostic> for Detail {
    fn from(d: &Diagnostic) -> Detail {
        Detail {
            text: d.to_string(),
            file: Some(d.loc.file.clone()),
            sheet: d.loc.sheet.clone(),
            row: Some(d.loc.row),
            column: Some(d.loc.column.clone()),
            value: Some(solieu_model::text::clip(&d.value, 120).into_owned()),
            message: Some(solieu_model::text::clip(&d.message, 400).into_owned()),
        }
    }
}

impl From<String> for Detail {
    fn from(s: String) -> Detail {
        Detail::text(s)
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A use case's failure.
#[derive(Debug)]
pub struct Error {
    /// What kind.
    pub code: Code,
    /// For people; never an internal cause.
    pub message: String,
    /// The located errors, the refused rounds, the observations out of scope.
    pub details: Vec<Detail>,
    /// A structured part of the answer (the violations that block an approval).
    pub extra: Option<serde_json::Value>,
    /// The cause of an internal or unavailable failure, for the log.
    pub cause: Option<anyhow::Error>,
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of a kind, with a message.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            details: vec![],
            extra: None,
            cause: None,
        }
    }

    /// A malformed request.
    pub fn bad(message: impl Into<String>) -> Error {
        Error::new(Code::BadRequest, message)
    }

    /// Not found.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Code::NotFound, message)
    }

    /// Figures refused with these located errors; `what` says what was not
    /// done ("nothing was written").
    pub fn invalid(details: Vec<Detail>, what: &str) -> Error {
        Error::new(
            Code::InvalidSubmission,
            format!("{} error(s); {what}", details.len()),
        )
        .with_details(details)
    }

    /// With details.
    pub fn with_details(mut self, details: Vec<Detail>) -> Error {
        self.details = details;
        self
    }

    /// An internal failure (or the store's [`StoreError::Unavailable`] or
    /// [`StoreError::Refused`], wherever in the chain they are): the kind
    /// is read from the error's type, never from its text.
    pub fn internal(e: impl Into<anyhow::Error>) -> Error {
        let e = e.into();
        let code = classify(&e);
        let message = match code {
            Code::Unavailable => {
                "the database is unavailable; nothing was written; try again shortly".to_string()
            }
            Code::Conflict => e
                .chain()
                .find_map(|c| match c.downcast_ref::<StoreError>() {
                    Some(StoreError::Refused(m)) => Some(m.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| e.to_string()),
            _ => "internal error".to_string(),
        };
        Error {
            code,
            message,
            details: vec![],
            extra: None,
            cause: Some(e),
        }
    }

    /// The message, with the cause's chain for an internal failure (the
    /// command line prints it; the server only logs it).
    pub fn verbose(&self) -> String {
        match &self.cause {
            Some(c) if matches!(self.code, Code::Internal | Code::Unavailable) => format!("{c:#}"),
            _ => self.message.clone(),
        }
    }
}

/// The code of an error chain: a store error's kind where there is one,
/// an application [`Error`]'s own code, else internal.
pub fn classify(e: &anyhow::Error) -> Code {
    for c in e.chain() {
        if let Some(se) = c.downcast_ref::<StoreError>() {
            return match se {
                StoreError::Unavailable(_) => Code::Unavailable,
                StoreError::Refused(_) => Code::Conflict,
                _ => Code::Internal,
            };
        }
        if let Some(ae) = c.downcast_ref::<Error>() {
            return ae.code;
        }
    }
    Code::Internal
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|c| c.as_ref() as _)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_kind_comes_from_the_type_whatever_wraps_it() {
        let e = anyhow::Error::from(StoreError::Unavailable("connection reset".into()))
            .context("reading the rounds")
            .context("submitting");
        assert_eq!(classify(&e), Code::Unavailable);
        let e = Error::internal(e);
        assert_eq!(e.code, Code::Unavailable);
        assert!(e.verbose().contains("connection reset"), "{}", e.verbose());
        assert!(!e.message.contains("connection reset"));

        let refused: std::result::Result<(), StoreError> =
            Err(StoreError::Refused("a later vintage exists".into()));
        let e = Error::internal(refused.context("importing").unwrap_err());
        assert_eq!(e.code, Code::Conflict);
        assert_eq!(e.message, "a later vintage exists");

        // text that merely looks like a store error is internal
        let e = Error::internal(anyhow::anyhow!("the database is unavailable: no"));
        assert_eq!(e.code, Code::Internal);
        assert_eq!(e.message, "internal error");
    }

    #[test]
    fn every_code_has_an_exit_code_and_a_stable_name() {
        for c in Code::ALL {
            assert!(c.exit_code() >= 1);
            assert_eq!(c.name().parse::<Code>().unwrap(), *c);
        }
        assert_eq!(Code::InvalidSubmission.name(), "invalid_submission");
    }

    #[test]
    fn a_located_error_is_data() {
        let d = Diagnostic {
            loc: solieu_ingest::validate::Loc {
                file: "a.xlsx".into(),
                sheet: Some("Biểu 1".into()),
                row: 7,
                column: "D7".into(),
            },
            value: "12x".into(),
            message: "not a number".into(),
        };
        let j = serde_json::to_value(Detail::from(&d)).unwrap();
        assert_eq!(j["file"], "a.xlsx");
        assert_eq!(j["sheet"], "Biểu 1");
        assert_eq!(j["row"], 7);
        assert_eq!(j["column"], "D7");
        assert_eq!(j["value"], "12x");
        assert_eq!(j["message"], "not a number");
        assert_eq!(
            j["text"],
            "a.xlsx[Biểu 1]:7:D7: not a number (value: '12x')"
        );
        let t = serde_json::to_value(Detail::text("round X is locked")).unwrap();
        assert_eq!(t, serde_json::json!({"text": "round X is locked"}));
    }
}
