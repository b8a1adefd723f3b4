//! Accounts: the one way to create an account and an API token (for the
//! command line and the API alike), passwords (argon2id, PHC strings) and
//! API tokens (random, shown once, stored as SHA-256).

use anyhow::{anyhow, bail, Result};
use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use solieu_store::{Account, Accounts, Backend, Role};

use crate::error::Error;

/// Shortest password accepted (OWASP ASVS 2.1.1: 12 characters; a
/// passphrase of ordinary words is welcome, no composition rules, 2.1.9).
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (ASVS 2.1.2 asks for at least 64; the bound
/// keeps one sign-in's hashing cheap).
pub const MAX_PASSWORD: usize = 1024;

/// An account as asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name: 1 to 64 characters, no spaces.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// A reporter's area codes.
    pub areas: Vec<String>,
    /// A reporter's indicator codes.
    pub indicators: Vec<String>,
    /// The password (see [`hash_password`]).
    pub password: String,
}

/// Creates an account: the name checked, the areas and indicators known to
/// the store, the password by the policy and stored hashed; audited as
/// `actor` in the store's transaction.
pub fn add_account(
    store: &mut dyn Backend,
    new: NewAccount,
    actor: &str,
) -> Result<Account, Error> {
    let name = new.name.trim().to_string();
    if name.is_empty()
        || name.chars().count() > 64
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::bad(format!(
            "'{name}': a name is 1 to 64 characters without spaces"
        )));
    }
    let registry = store.areas()?;
    let catalogue = store.indicators()?;
    let areas: Vec<String> = new
        .areas
        .iter()
        .map(|a| solieu_model::area::normalize_code(a))
        .collect();
    if let Some(a) = areas.iter().find(|a| registry.versions(a).is_empty()) {
        return Err(Error::bad(format!("unknown area code {a}")));
    }
    let indicators: Vec<String> = new
        .indicators
        .iter()
        .map(|i| i.trim().to_ascii_uppercase())
        .collect();
    if let Some(i) = indicators
        .iter()
        .find(|i| !catalogue.iter().any(|d| d.code == **i))
    {
        return Err(Error::bad(format!("unknown indicator {i}")));
    }
    let password_hash = hash_password(&new.password).map_err(|e| Error::bad(e.to_string()))?;
    let mut account = Account {
        id: 0,
        name,
        role: new.role,
        areas,
        indicators,
        password_hash,
    };
    account.id = store.create_account(&account, actor)?;
    Ok(account)
}

/// Creates an API token for an account: the token, shown this once, and
/// its number; the store keeps only its SHA-256.
pub fn create_token(
    store: &mut dyn Accounts,
    owner: &str,
    actor: &str,
) -> Result<(String, i64), Error> {
    let Some(account) = store.account(owner)? else {
        return Err(Error::not_found(format!("no account named '{owner}'")));
    };
    let token = new_token();
    let id = store.create_token(account.id, &token_hash(&token), actor)?;
    Ok((token, id))
}

/// The argon2id PHC string of a password.
pub fn hash_password(password: &str) -> Result<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        bail!("the password must have at least {MIN_PASSWORD} characters (a few words will do)");
    }
    if n > MAX_PASSWORD {
        bail!("the password must have at most {MAX_PASSWORD} characters");
    }
    // the same character over and over is no password (ASVS 2.1.7 in small)
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        bail!("the password must not be one character repeated");
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("password hashing failed: {e}"))
}

/// Whether a password matches a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    password.len() <= MAX_PASSWORD * 4
        && PasswordHash::new(phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
}

/// A new API token: 32 random bytes, hex, with a recognisable prefix.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "slt_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("mật khẩu đủ dài").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("mật khẩu khác", &h));
        assert!(hash_password("ngắn").is_err());
        assert!(hash_password("mười một ký").is_err(), "11 characters");
        assert!(hash_password("mười hai ký!").is_ok(), "12 characters");
        assert!(hash_password(&"a".repeat(20)).is_err());
        assert!(hash_password(&"ab".repeat(600)).is_err());
        assert!(!verify_password(&"x".repeat(5000), &h));
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
