//! Validation rules: a small expression language over derived figures,
//! parsed by a recursive-descent parser with located errors, evaluated by
//! the engine for an area and a period; plus outlier detection by the
//! modified z-score of a series.
//!
//! ```text
//! rule    := or
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := sum (("=" | "==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | atom
//! atom    := NUMBER | "(" or ")" | INDICATOR
//!          | MEASURE "(" INDICATOR ("," PERIOD)? ")"      -- value, cumulative, yoy_pct, …
//! INDICATOR := CODE ("[" LIST "=" (CODE | "*") ("," LIST "=" (CODE | "*"))* "]")?
//!                                                   -- a breakdown code; * = the sum of the list's codes
//!          | ("abs") "(" sum ")" | ("min" | "max") "(" sum "," sum ")"
//! PERIOD  := "m" (("+" | "-") INTEGER)?                  -- the period checked, shifted
//! ```
//!
//! A bare indicator code is its `value` for the period checked;
//! `EXPORTS[SECTOR=FDI]` is a code of its breakdown and `EXPORTS[PRODUCT=*]`
//! the sum of the top-level codes stored (`EXPORTS[PRODUCT=*] = EXPORTS`:
//! the product groups add up to the total). `=` holds
//! within 0,1 % (published parts are rounded; write `abs(A - B) <= 1` for an
//! explicit tolerance). A rule whose figures are not all available is not
//! applicable (not violated): missing data is the completeness report's
//! business, not a rule's. `cumulative` of a period in another year than
//! the one checked is absent: a year-to-date never crosses January.

use std::fmt;

use solieu_model::{Period, Status};

use crate::{Derived, Engine, Options, Query};

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A derived figure: measure of an indicator at the checked period shifted.
    Fig {
        /// Measure.
        measure: Derived,
        /// Indicator code.
        indicator: String,
        /// Breakdown codes (list, code; `*` = the sum of the list's codes).
        dims: Vec<(String, String)>,
        /// Shift in periods of the checked period's kind.
        shift: i32,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// Arithmetic.
    Bin(char, Box<Expr>, Box<Expr>),
    /// `abs`, `min`, `max`.
    Call(&'static str, Vec<Expr>),
    /// Comparison.
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// `and`.
    And(Box<Expr>, Box<Expr>),
    /// `or`.
    Or(Box<Expr>, Box<Expr>),
    /// `not`.
    Not(Box<Expr>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `=` (within 0,1 %).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Cmp {
    fn as_str(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        let close = (a - b).abs() <= crate::eval::LEVEL_TOLERANCE * a.abs().max(b.abs()) + 1e-9;
        match self {
            Cmp::Eq => close,
            Cmp::Ne => !close,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b || close,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b || close,
        }
    }
}

/// Why an expression was refused: where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Column (1-based, in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(&'static str),
    End,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let v: f64 = text.parse().map_err(|_| ParseError {
                column: col,
                message: format!("'{text}' is not a number (use a dot for decimals: 0.5)"),
            })?;
            out.push((Tok::Num(v), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), col));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                "==" => Some("="),
                "<>" => Some("!="),
                _ => None,
            };
            if let Some(op) = op {
                out.push((Tok::Op(op), col));
                i += 2;
                continue;
            }
            let op = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                _ => {
                    return Err(ParseError {
                        column: col,
                        message: format!("unexpected character '{c}'"),
                    })
                }
            };
            out.push((Tok::Op(op), col));
            i += 1;
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

/// Longest expression accepted (characters).
pub const MAX_RULE_LEN: usize = 2000;
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn col(&self) -> usize {
        self.toks[self.pos].1
    }

    fn err<T>(&self, what: &str) -> Result<T, ParseError> {
        let found = match self.peek() {
            Tok::Num(n) => format!("the number {n}"),
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Op(o) => format!("'{o}'"),
            Tok::End => "the end of the rule".to_string(),
        };
        Err(ParseError {
            column: self.col(),
            message: format!("expected {what}, found {found}"),
        })
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Tok::Op(o) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat(op) {
            Ok(())
        } else {
            self.err(&format!("'{op}'"))
        }
    }

    fn or(&mut self, d: usize) -> Result<Expr, ParseError> {
        if d > MAX_DEPTH {
            return self.err("a shallower expression (too deeply nested)");
        }
        let mut e = self.and(d + 1)?;
        while self.eat_word("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and(d + 1)?));
        }
        Ok(e)
    }

    fn and(&mut self, d: usize) -> Result<Expr, ParseError> {
        let mut e = self.not(d)?;
        while self.eat_word("and") {
            e = Expr::And(Box::new(e), Box::new(self.not(d)?));
        }
        Ok(e)
    }

    fn not(&mut self, d: usize) -> Result<Expr, ParseError> {
        if d > MAX_DEPTH {
            return self.err("a shallower expression (too deeply nested)");
        }
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not(d + 1)?)));
        }
        self.cmp(d)
    }

    fn cmp(&mut self, d: usize) -> Result<Expr, ParseError> {
        let a = self.sum(d)?;
        let op = match self.peek() {
            Tok::Op("=") => Cmp::Eq,
            Tok::Op("!=") => Cmp::Ne,
            Tok::Op("<") => Cmp::Lt,
            Tok::Op("<=") => Cmp::Le,
            Tok::Op(">") => Cmp::Gt,
            Tok::Op(">=") => Cmp::Ge,
            _ => return Ok(a),
        };
        self.pos += 1;
        let b = self.sum(d)?;
        Ok(Expr::Cmp(op, Box::new(a), Box::new(b)))
    }

    fn sum(&mut self, d: usize) -> Result<Expr, ParseError> {
        let mut e = self.product(d)?;
        loop {
            let op = if self.eat("+") {
                '+'
            } else if self.eat("-") {
                '-'
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.product(d)?));
        }
    }

    fn product(&mut self, d: usize) -> Result<Expr, ParseError> {
        let mut e = self.unary(d)?;
        loop {
            let op = if self.eat("*") {
                '*'
            } else if self.eat("/") {
                '/'
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary(d)?));
        }
    }

    fn unary(&mut self, d: usize) -> Result<Expr, ParseError> {
        if d > MAX_DEPTH {
            return self.err("a shallower expression (too deeply nested)");
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary(d + 1)?)));
        }
        self.atom(d)
    }

    fn indicator(&mut self) -> Result<String, ParseError> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.pos += 1;
                Ok(s.to_ascii_uppercase())
            }
            _ => self.err("an indicator code"),
        }
    }

    /// `[LIST=CODE, LIST=*]` after an indicator, if there.
    fn breakdown(&mut self) -> Result<Vec<(String, String)>, ParseError> {
        let mut out: Vec<(String, String)> = vec![];
        if !self.eat("[") {
            return Ok(out);
        }
        loop {
            let list = match self.peek().clone() {
                Tok::Ident(s) => {
                    self.pos += 1;
                    s.to_ascii_uppercase()
                }
                _ => return self.err("a breakdown's list (PRODUCT, SECTOR …)"),
            };
            self.expect("=")?;
            let code = match self.peek().clone() {
                Tok::Ident(s) => {
                    self.pos += 1;
                    s.to_ascii_uppercase()
                }
                Tok::Op("*") => {
                    self.pos += 1;
                    "*".to_string()
                }
                _ => return self.err("a code of the list, or * for all of them"),
            };
            if out.iter().any(|(l, _)| *l == list) {
                return self.err(&format!("{list} once"));
            }
            out.push((list, code));
            if !self.eat(",") {
                break;
            }
        }
        self.expect("]")?;
        Ok(out)
    }

    fn period(&mut self) -> Result<i32, ParseError> {
        if !self.eat_word("m") {
            return self.err("the period 'm' (the period checked), 'm-1', 'm-12' …");
        }
        let sign = if self.eat("-") {
            -1
        } else if self.eat("+") {
            1
        } else {
            return Ok(0);
        };
        match *self.peek() {
            Tok::Num(n) if n.fract() == 0.0 && n <= 1200.0 => {
                self.pos += 1;
                Ok(sign * n as i32)
            }
            _ => self.err("a whole number of periods"),
        }
    }

    fn atom(&mut self, d: usize) -> Result<Expr, ParseError> {
        match self.peek().clone() {
            Tok::Num(n) => {
                self.pos += 1;
                Ok(Expr::Num(n))
            }
            Tok::Op("(") => {
                self.pos += 1;
                let e = self.or(d + 1)?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                let is_call = matches!(self.toks.get(self.pos + 1), Some((Tok::Op("("), _)));
                if !is_call {
                    if ["and", "or", "not", "m"].contains(&lower.as_str()) {
                        return self.err("an indicator, a number or '('");
                    }
                    self.pos += 1;
                    let dims = self.breakdown()?;
                    return Ok(Expr::Fig {
                        measure: Derived::Value,
                        indicator: name.to_ascii_uppercase(),
                        dims,
                        shift: 0,
                    });
                }
                let math: Option<(&'static str, usize)> = match lower.as_str() {
                    "abs" => Some(("abs", 1)),
                    "min" => Some(("min", 2)),
                    "max" => Some(("max", 2)),
                    _ => None,
                };
                if let Some((f, n)) = math {
                    self.pos += 2;
                    let mut args = vec![self.sum(d + 1)?];
                    while args.len() < n {
                        self.expect(",")?;
                        args.push(self.sum(d + 1)?);
                    }
                    self.expect(")")?;
                    return Ok(Expr::Call(f, args));
                }
                let Some(measure) = Derived::parse(&lower) else {
                    let names: Vec<&str> = Derived::ALL.iter().map(|m| m.as_str()).collect();
                    return self.err(&format!(
                        "a measure ({}) or abs, min, max",
                        names.join(", ")
                    ));
                };
                self.pos += 2;
                let indicator = self.indicator()?;
                let dims = self.breakdown()?;
                let shift = if self.eat(",") { self.period()? } else { 0 };
                self.expect(")")?;
                Ok(Expr::Fig {
                    measure,
                    indicator,
                    dims,
                    shift,
                })
            }
            _ => self.err("an indicator, a number, a function or '('"),
        }
    }
}

/// Parses a rule; it must be a condition (a comparison, `and`, `or`, `not`).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let e = parse_any(src)?;
    if !e.is_condition() {
        return Err(ParseError {
            column: 1,
            message: "a rule must be a condition: compare with =, <, <=, >, >= or !=".into(),
        });
    }
    e.check_types()?;
    Ok(e)
}

/// Parses a formula: a number, not a condition (`GRDP_CURRENT / POPULATION`).
pub fn parse_formula(src: &str) -> Result<Expr, ParseError> {
    let e = parse_any(src)?;
    if e.is_condition() {
        return Err(ParseError {
            column: 1,
            message: "a formula computes a number (+ - * / abs min max); comparisons belong in validation rules".into(),
        });
    }
    e.check_types()?;
    Ok(e)
}

fn parse_any(src: &str) -> Result<Expr, ParseError> {
    if src.chars().count() > MAX_RULE_LEN {
        return Err(ParseError {
            column: MAX_RULE_LEN,
            message: format!("a rule has at most {MAX_RULE_LEN} characters"),
        });
    }
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
    };
    let e = p.or(0)?;
    if *p.peek() != Tok::End {
        return p.err("an operator or the end of the rule");
    }
    Ok(e)
}

impl Expr {
    fn is_condition(&self) -> bool {
        matches!(
            self,
            Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..)
        )
    }

    fn check_types(&self) -> Result<(), ParseError> {
        let bad = |m: &str| {
            Err(ParseError {
                column: 1,
                message: m.to_string(),
            })
        };
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                if !a.is_condition() || !b.is_condition() {
                    return bad("'and' and 'or' join conditions, not numbers");
                }
                a.check_types()?;
                b.check_types()
            }
            Expr::Not(a) => {
                if !a.is_condition() {
                    return bad("'not' applies to a condition");
                }
                a.check_types()
            }
            Expr::Cmp(_, a, b) | Expr::Bin(_, a, b) => {
                if a.is_condition() || b.is_condition() {
                    return bad("a condition cannot be compared or computed with");
                }
                a.check_types()?;
                b.check_types()
            }
            Expr::Neg(a) => {
                if a.is_condition() {
                    return bad("a condition cannot be negated with '-'; use 'not'");
                }
                a.check_types()
            }
            Expr::Call(_, args) => {
                if args.iter().any(Expr::is_condition) {
                    return bad("abs, min and max take numbers");
                }
                args.iter().try_for_each(Expr::check_types)
            }
            Expr::Num(_) | Expr::Fig { .. } => Ok(()),
        }
    }

    /// The indicator codes the rule reads.
    pub fn indicators(&self) -> Vec<String> {
        let mut out = vec![];
        self.walk(&mut |e| {
            if let Expr::Fig { indicator, .. } = e {
                if !out.contains(indicator) {
                    out.push(indicator.clone());
                }
            }
        });
        out
    }

    fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(a) | Expr::Not(a) => a.walk(f),
            Expr::Bin(_, a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                a.walk(f);
                b.walk(f)
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            Expr::Num(_) | Expr::Fig { .. } => {}
        }
    }
}

/// Shifts a period by `n` periods of its own kind; cumulative periods move
/// by months within their year only.
pub fn shift(p: Period, n: i32) -> Option<Period> {
    let months = |y: i32, m: u8| y * 12 + m as i32 - 1 + n;
    Some(match p {
        Period::Year(y) => Period::Year(y + n),
        Period::Month(y, m) => {
            let k = months(y, m);
            Period::Month(k.div_euclid(12), k.rem_euclid(12) as u8 + 1)
        }
        Period::Quarter(y, q) => {
            let k = y * 4 + q as i32 - 1 + n;
            Period::Quarter(k.div_euclid(4), k.rem_euclid(4) as u8 + 1)
        }
        Period::Half(y, h) => {
            let k = y * 2 + h as i32 - 1 + n;
            Period::Half(k.div_euclid(2), k.rem_euclid(2) as u8 + 1)
        }
        Period::Cumulative(y, m) => {
            let k = months(y, m);
            if k.div_euclid(12) != y {
                return None;
            }
            Period::Cumulative(y, k.rem_euclid(12) as u8 + 1)
        }
        Period::Span(y, k) => Period::Span(y + n * i32::from(k), k),
    })
}

/// A figure a rule read.
#[derive(Debug, Clone, PartialEq)]
pub struct Used {
    /// Indicator.
    pub indicator: String,
    /// Measure.
    pub measure: Derived,
    /// Period.
    pub period: Period,
    /// Value.
    pub value: f64,
    /// Status.
    pub status: Status,
}

/// The outcome of a rule for one area and period.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It holds.
    Holds(Vec<Used>),
    /// It does not.
    Violated(Vec<Used>),
    /// A figure it reads is absent (named).
    NotApplicable(String),
}

enum Val {
    N(f64),
    B(bool),
}

struct Ctx<'a> {
    engine: &'a Engine,
    area: &'a str,
    period: Period,
    opts: &'a Options,
    used: Vec<Used>,
}

impl Ctx<'_> {
    fn eval(&mut self, e: &Expr) -> Result<Val, String> {
        Ok(match e {
            Expr::Num(n) => Val::N(*n),
            Expr::Fig {
                measure,
                indicator,
                dims,
                shift: n,
            } => {
                let named = format!("{indicator}{}", breakdown_text(dims));
                let p = if *measure == Derived::Cumulative {
                    // a year-to-date never crosses January
                    match shift(self.period, *n) {
                        Some(p) if p.year() == self.period.year() => p,
                        _ => return Err(format!("{measure}({named}) before January")),
                    }
                } else {
                    shift(self.period, *n).ok_or_else(|| format!("{named}: no such period"))?
                };
                let Some(ind) = self.engine.indicator_or_alias(indicator) else {
                    return Err(format!("unknown indicator {indicator}"));
                };
                for (list, _) in dims {
                    if !ind.dimensions.iter().any(|d| d.name == *list) {
                        return Err(format!("{indicator} is not broken down by {list}"));
                    }
                }
                let texts = breakdowns_asked(self.engine, ind, dims);
                if texts.is_empty() {
                    return Err(format!("{named}: no code of the breakdown is stored"));
                }
                let area = self
                    .engine
                    .registry()
                    .version_for(self.area, p)
                    .map(|a| a.key.clone())
                    .unwrap_or_else(|| self.area.to_string());
                let mut v = 0.0;
                let mut status = Status::Final;
                for t in &texts {
                    let f = self
                        .engine
                        .eval(
                            &Query {
                                indicator,
                                area: &area,
                                dims: t,
                                period: p,
                                measure: *measure,
                            },
                            self.opts,
                        )
                        .map_err(|e| e.to_string())?;
                    let Some(x) = f.value else {
                        return Err(format!(
                            "{measure}({indicator}{}) for {p}: {}",
                            if t.is_empty() {
                                String::new()
                            } else {
                                format!("[{t}]")
                            },
                            f.why.map(|w| w.to_string()).unwrap_or_default()
                        ));
                    };
                    v += x;
                    status = status.weakest(f.status);
                }
                let f = crate::Figure {
                    status,
                    ..crate::Figure::absent(crate::Why::NoData)
                };
                let indicator = &named;
                self.used.push(Used {
                    indicator: indicator.clone(),
                    measure: *measure,
                    period: p,
                    value: v,
                    status: f.status,
                });
                Val::N(v)
            }
            Expr::Neg(a) => Val::N(-self.num(a)?),
            Expr::Bin(op, a, b) => {
                let (x, y) = (self.num(a)?, self.num(b)?);
                let v = match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ => x / y,
                };
                if !v.is_finite() {
                    return Err("division by zero".into());
                }
                Val::N(v)
            }
            Expr::Call(f, args) => {
                let xs: Vec<f64> = args.iter().map(|a| self.num(a)).collect::<Result<_, _>>()?;
                Val::N(match *f {
                    "abs" => xs[0].abs(),
                    "min" => xs[0].min(xs[1]),
                    _ => xs[0].max(xs[1]),
                })
            }
            Expr::Cmp(op, a, b) => {
                let (x, y) = (self.num(a)?, self.num(b)?);
                Val::B(op.holds(x, y))
            }
            Expr::And(a, b) => Val::B(self.cond(a)? && self.cond(b)?),
            Expr::Or(a, b) => Val::B(self.cond(a)? || self.cond(b)?),
            Expr::Not(a) => Val::B(!self.cond(a)?),
        })
    }

    fn num(&mut self, e: &Expr) -> Result<f64, String> {
        match self.eval(e)? {
            Val::N(v) => Ok(v),
            Val::B(_) => Err("a condition where a number is expected".into()),
        }
    }

    fn cond(&mut self, e: &Expr) -> Result<bool, String> {
        match self.eval(e)? {
            Val::B(v) => Ok(v),
            Val::N(_) => Err("a number where a condition is expected".into()),
        }
    }
}

/// Checks a parsed rule for one area (code or key) and period.
pub fn check(engine: &Engine, rule: &Expr, area: &str, period: Period, opts: &Options) -> Outcome {
    let mut ctx = Ctx {
        engine,
        area,
        period,
        opts,
        used: vec![],
    };
    match ctx.cond(rule) {
        Ok(true) => Outcome::Holds(ctx.used),
        Ok(false) => Outcome::Violated(ctx.used),
        Err(why) => Outcome::NotApplicable(why),
    }
}

/// Threshold of the modified z-score (Iglewicz and Hoaglin): beyond 3,5 a
/// value is flagged for review.
pub const OUTLIER_Z: f64 = 3.5;

/// The modified z-score of `x` against `history`: 0,6745 (x − median) / MAD.
/// `None` with fewer than 8 values or no spread at all.
pub fn modified_z(x: f64, history: &[f64]) -> Option<f64> {
    if history.len() < 8 {
        return None;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let mut h = history.to_vec();
    let med = median(&mut h);
    let mut dev: Vec<f64> = history.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev);
    if mad <= f64::EPSILON * med.abs().max(1.0) {
        return None;
    }
    Some(0.6745 * (x - med) / mad)
}

/// An unusual value: its score and what it was compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlier {
    /// The measure scored (`yoy_pct` for series with a year of history,
    /// else `value`).
    pub measure: Derived,
    /// The value.
    pub value: f64,
    /// Its modified z-score.
    pub z: f64,
    /// The median of the history.
    pub median: f64,
    /// Values in the history.
    pub history: usize,
}

/// Scores the figure of `indicator` in `area` for `period` against the 24
/// periods before it: on year-on-year growth where the series has it (the
/// season is then gone), else on levels. `None` when it is not unusual or
/// the history is too short.
pub fn outlier(
    engine: &Engine,
    indicator: &str,
    area: &str,
    period: Period,
    opts: &Options,
) -> Option<Outlier> {
    let key = |p: Period| {
        engine
            .registry()
            .version_for(area, p)
            .map(|a| a.key.clone())
            .unwrap_or_else(|| area.to_string())
    };
    let fig = |p: Period, m: Derived| {
        let area = key(p);
        engine
            .eval(
                &Query {
                    indicator,
                    area: &area,
                    dims: "",
                    period: p,
                    measure: m,
                },
                opts,
            )
            .ok()
            .and_then(|f| f.value)
    };
    for measure in [Derived::YoyPct, Derived::Value] {
        let Some(x) = fig(period, measure) else {
            continue;
        };
        let history: Vec<f64> = (1..=24)
            .filter_map(|n| shift(period, -n))
            .filter_map(|p| fig(p, measure))
            .collect();
        if history.len() < 8 {
            continue;
        }
        let z = modified_z(x, &history)?;
        let mut h = history.clone();
        h.sort_by(f64::total_cmp);
        let median = h[h.len() / 2];
        return (z.abs() > OUTLIER_Z).then_some(Outlier {
            measure,
            value: x,
            z,
            median,
            history: history.len(),
        });
    }
    None
}

impl Expr {
    /// How tightly the expression binds, as the parser reads it: `or`,
    /// `and`, `not`, comparisons, `+ -`, `* /`, unary `-`, atoms.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Not(..) => 3,
            Expr::Cmp(..) => 4,
            Expr::Bin('+' | '-', ..) => 5,
            Expr::Bin(..) => 6,
            Expr::Neg(..) => 7,
            Expr::Num(..) | Expr::Fig { .. } | Expr::Call(..) => 8,
        }
    }
}

/// The breakdown texts a figure of a rule reads: one for codes named
/// (`SECTOR=FDI`, in the indicator's order), or for a `*` every top-level code
/// of that list stored or derivable for the indicator (with the other codes
/// named), whose values are summed.
fn breakdowns_asked(
    engine: &Engine,
    ind: &solieu_model::Indicator,
    dims: &[(String, String)],
) -> Vec<String> {
    let fixed: Vec<String> = dims
        .iter()
        .filter(|(_, c)| c != "*")
        .map(|(l, c)| format!("{l}={c}"))
        .collect();
    if dims.iter().all(|(_, c)| c != "*") {
        return vec![solieu_model::indicator::merge_dims(
            ind,
            "",
            &fixed.join(";"),
        )];
    }
    let names: Vec<&str> = dims.iter().map(|(l, _)| l.as_str()).collect();
    // a `*` sums the list's top-level codes (a parent's children are in it already)
    let top = |list: &str, code: &str| {
        engine
            .code_lists()
            .get(list)
            .and_then(|l| l.get(code))
            .is_none_or(|c| c.parent.is_none())
    };
    engine
        .breakdowns_over(&ind.code, &names)
        .into_iter()
        .filter(|t| {
            t.split(';')
                .filter_map(|p| p.split_once('='))
                .all(|(n, got)| {
                    dims.iter().find(|(l, _)| l == n).is_some_and(|(_, c)| {
                        if c == "*" {
                            top(n, got)
                        } else {
                            got == c
                        }
                    })
                })
        })
        .collect()
}

/// `[SECTOR=FDI, PRODUCT=*]`, or nothing for no breakdown.
fn breakdown_text(dims: &[(String, String)]) -> String {
    if dims.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = dims.iter().map(|(l, c)| format!("{l}={c}")).collect();
    format!("[{}]", parts.join(", "))
}

/// Writes `e`, in parentheses when it binds less tightly than `min`.
fn operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.precedence() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// Prints with the fewest parentheses that keep the tree (operators are
/// left-associative, so a right operand of the same level keeps its
/// parentheses): the text parses back to the same rule, never deeper than
/// the text it was read from.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.precedence();
        let infix = |f: &mut fmt::Formatter<'_>, a: &Expr, op: &str, b: &Expr, right: u8| {
            operand(f, a, p)?;
            write!(f, " {op} ")?;
            operand(f, b, right)
        };
        match self {
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Fig {
                measure,
                indicator,
                dims,
                shift,
            } => {
                let dims = breakdown_text(dims);
                if *measure == Derived::Value && *shift == 0 {
                    return write!(f, "{indicator}{dims}");
                }
                write!(f, "{measure}({indicator}{dims}")?;
                match shift {
                    0 => {}
                    s if *s > 0 => write!(f, ", m+{s}")?,
                    s => write!(f, ", m{s}")?,
                }
                f.write_str(")")
            }
            Expr::Neg(a) => {
                f.write_str("-")?;
                operand(f, a, p)
            }
            Expr::Bin(op, a, b) => infix(f, a, &op.to_string(), b, p + 1),
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            // comparisons do not chain: both sides are sums
            Expr::Cmp(op, a, b) => {
                operand(f, a, 5)?;
                write!(f, " {} ", op.as_str())?;
                operand(f, b, 5)
            }
            Expr::And(a, b) => infix(f, a, "and", b, p + 1),
            Expr::Or(a, b) => infix(f, a, "or", b, p + 1),
            Expr::Not(a) => {
                f.write_str("not ")?;
                operand(f, a, p)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_examples() {
        let e = parse("cumulative(RETAIL, m) >= cumulative(RETAIL, m-1)").unwrap();
        assert_eq!(e.indicators(), vec!["RETAIL"]);
        let e = parse("EXPORTS = EXPORTS_FDI + EXPORTS_DOMESTIC").unwrap();
        assert_eq!(
            e.indicators(),
            vec!["EXPORTS", "EXPORTS_FDI", "EXPORTS_DOMESTIC"]
        );
        let e = parse("abs(yoy_pct(X)) <= 50").unwrap();
        assert_eq!(e.to_string(), "abs(yoy_pct(X)) <= 50");
        parse("not (A > 0 and B > 0) or value(C, m-12) * 2 < 1.5").unwrap();
    }

    #[test]
    fn breakdowns_in_rules_parse_print_and_evaluate() {
        for text in [
            "EXPORTS[PRODUCT=*] = EXPORTS and EXPORTS[SECTOR=FDI] <= EXPORTS",
            "value(EXPORTS[SECTOR=FDI, PRODUCT=RICE], m-1) >= 0",
        ] {
            let e = parse(text).unwrap();
            assert_eq!(e.to_string(), text);
            assert_eq!(parse(&e.to_string()).unwrap(), e);
        }
        assert!(parse("EXPORTS[PRODUCT] > 0").is_err());
        assert!(parse("EXPORTS[PRODUCT=A, PRODUCT=B] > 0").is_err());
        // exports of Ho Chi Minh City by product and sector, October 2020
        let mut engine = Engine::new(
            solieu_model::reference::areas(),
            solieu_model::reference::indicators(),
        );
        let o = |dims: &str, value: f64| solieu_model::Observation {
            indicator: "EXPORTS".into(),
            area: "79".into(),
            period: Period::Month(2020, 10),
            measure: solieu_model::Measure::Level,
            dims: dims.into(),
            value,
            status: Status::Estimate,
            source: "test".into(),
            note: String::new(),
        };
        let obs = vec![
            o("", 100.0),
            o("PRODUCT=RICE", 40.0),
            o("PRODUCT=OTHER", 60.0),
            o("SECTOR=FDI", 70.0),
        ];
        engine.apply(
            &obs,
            &solieu_store::ImportSummary {
                import_id: 1,
                rows: 4,
                new_vintages: 4,
                revisions: 0,
                recorded_at: 1,
            },
        );
        let run = |rule: &str| {
            check(
                &engine,
                &parse(rule).unwrap(),
                "79",
                Period::Month(2020, 10),
                &Options::default(),
            )
        };
        assert!(matches!(
            run("EXPORTS[PRODUCT=*] = EXPORTS"),
            Outcome::Holds(_)
        ));
        assert!(matches!(
            run("EXPORTS[SECTOR=FDI] <= 50"),
            Outcome::Violated(_)
        ));
        // the old code is the same figure
        assert!(matches!(
            run("EXPORTS_FDI = EXPORTS[SECTOR=FDI]"),
            Outcome::Holds(_)
        ));
        match run("EXPORTS[MARKET=US] > 0") {
            Outcome::NotApplicable(m) => assert!(m.contains("EXPORTS[MARKET=US]"), "{m}"),
            other => panic!("{other:?}"),
        }
        match run("IIP[PRODUCT=RICE] > 0") {
            Outcome::NotApplicable(m) => assert!(m.contains("not broken down by PRODUCT"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = parse("EXPORTS = ").unwrap_err();
        assert_eq!(e.column, 11);
        assert!(e.message.contains("expected"), "{e}");
        let e = parse("EXPORTS + 1").unwrap_err();
        assert!(e.message.contains("condition"), "{e}");
        let e = parse("growth(X) > 1").unwrap_err();
        assert!(e.message.contains("a measure"), "{e}");
        let e = parse("cumulative(X, q-1) > 1").unwrap_err();
        assert_eq!(e.column, 15);
        let e = parse("A > 1 $").unwrap_err();
        assert!(e.message.contains("unexpected character '$'"), "{e}");
        let e = parse("(A > 1) + 2 > 1").unwrap_err();
        assert!(e.message.contains("condition"), "{e}");
        let deep = format!("{}A{} > 1", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).is_err());
        assert!(parse(&"A + ".repeat(1000)).is_err());
    }

    #[test]
    fn shifts_periods() {
        assert_eq!(
            shift(Period::Month(2026, 1), -1),
            Some(Period::Month(2025, 12))
        );
        assert_eq!(
            shift(Period::Month(2026, 10), -12),
            Some(Period::Month(2025, 10))
        );
        assert_eq!(
            shift(Period::Quarter(2026, 1), -1),
            Some(Period::Quarter(2025, 4))
        );
        assert_eq!(shift(Period::Cumulative(2026, 1), -1), None);
        assert_eq!(
            shift(Period::Cumulative(2026, 5), -1),
            Some(Period::Cumulative(2026, 4))
        );
    }

    #[test]
    fn modified_z_flags_the_unusual() {
        let h = [10.0, 11.0, 9.5, 10.2, 10.8, 9.9, 10.1, 10.4, 9.7, 10.3];
        assert!(modified_z(10.5, &h).unwrap().abs() < OUTLIER_Z);
        assert!(modified_z(25.0, &h).unwrap() > OUTLIER_Z);
        assert!(modified_z(-3.0, &h).unwrap() < -OUTLIER_Z);
        assert_eq!(modified_z(1.0, &h[..5]), None);
        assert_eq!(modified_z(1.0, &[2.0; 10]), None);
    }
}
