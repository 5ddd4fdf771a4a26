//! Account passwords (DESIGN.md §4): Argon2id PHC strings (m=19456 KiB, t=2, p=1, random 16-byte
//! salt), as the server stores them, and their verification. Used by the server's auth handler.
//! Argon2 takes tens of milliseconds by design; the async server should call these on a blocking
//! thread (`tokio::task::spawn_blocking`). Each call hands its 19 MiB of working memory back to
//! the operating system when it is done (see [`release_freed_memory`]).

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use super::CryptoError;

/// Memory cost of account password hashes, in KiB (19 MiB, the OWASP minimum for Argon2id).
pub const PASSWORD_M_KIB: u32 = 19456;
/// Passes of account password hashes.
pub const PASSWORD_T: u32 = 2;
/// Lanes of account password hashes.
pub const PASSWORD_P: u32 = 1;

const PHC_PREFIX: &str = "$argon2id$";

/// Hashes a password into an Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt[..]);
    let hash = password_hasher()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))?;
    let phc = hash.to_string();
    release_freed_memory();
    Ok(phc)
}

/// Whether `password` matches the PHC string (the hash's own parameters are used). False for
/// anything that is not an Argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if !phc.starts_with(PHC_PREFIX) {
        return false;
    }
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok();
    release_freed_memory();
    matches
}

/// Returns freed heap memory to the operating system. glibc keeps what a thread frees for that
/// thread's arena to reuse, and after the first large block is freed it raises its mmap
/// threshold so later 19 MiB Argon2 blocks come from those arenas too: every blocking thread
/// that ever verified a password kept its blocks resident (0.8–1.5 GB after 1,000 logins).
/// `malloc_trim` gives the free pages of every arena back (a few hundred µs; a login's Argon2
/// takes tens of ms). Other allocators return large blocks on their own.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            /// glibc: releases free memory from the heap and every arena; no preconditions.
            safe fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        malloc_trim(0);
    }
}

fn password_hasher() -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(PASSWORD_M_KIB, PASSWORD_T, PASSWORD_P, Some(32))
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_phc_with_required_costs() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct hors", &phc));
        assert!(!verify_password("", &phc));
    }

    #[test]
    fn same_password_gets_different_salts() {
        let first = hash_password("pw").expect("hash");
        let second = hash_password("pw").expect("hash");
        assert_ne!(first, second);
        assert!(verify_password("pw", &first) && verify_password("pw", &second));
    }

    #[test]
    fn garbage_and_other_algorithms_do_not_verify() {
        for phc in [
            "",
            "plaintext",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$!!$!!",
            "$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$hrdKx2qxRZ8hqk0e1Bz1Jw",
        ] {
            assert!(!verify_password("pw", phc), "{phc}");
        }
    }
}
