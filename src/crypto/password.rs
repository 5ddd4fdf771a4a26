//! Account passwords (DESIGN.md §4): Argon2id PHC strings (m=19456 KiB, t=2, p=1, random 16-byte
//! salt), as the server stores them, and their verification. Used by the server's auth handler.
//! Argon2 takes tens of milliseconds by design; the async server should call these on a blocking
//! thread (`tokio::task::spawn_blocking`). Each call's 19 MiB of working memory is a mapping of
//! its own, unmapped when the call returns (see [`ArgonWorkingMemory`]).

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use super::CryptoError;

/// Memory cost of account password hashes, in KiB (19 MiB, the OWASP minimum for Argon2id).
pub const PASSWORD_M_KIB: u32 = 19456;
/// Passes of account password hashes.
pub const PASSWORD_T: u32 = 2;
/// Lanes of account password hashes.
pub const PASSWORD_P: u32 = 1;

/// Length of the hash in the PHC strings this module writes.
const PASSWORD_HASH_BYTES: usize = 32;

const PHC_PREFIX: &str = "$argon2id$";

/// Hashes a password into an Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let failed = |error: &dyn std::fmt::Display| CryptoError::PasswordHash(error.to_string());
    let mut salt = [0u8; 16];
    rand::fill(&mut salt[..]);
    let params = Params::new(
        PASSWORD_M_KIB,
        PASSWORD_T,
        PASSWORD_P,
        Some(PASSWORD_HASH_BYTES),
    )
    .map_err(|error| failed(&error))?;
    let mut hash = [0u8; PASSWORD_HASH_BYTES];
    let mut memory = ArgonWorkingMemory::map(params.block_count())?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut hash, memory.blocks())
        .map_err(|error| failed(&error))?;
    drop(memory);
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|error| failed(&error))?,
        salt: Some(Salt::new(&salt).map_err(|error| failed(&error))?),
        hash: Some(Output::new(&hash).map_err(|error| failed(&error))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string (the hash's own parameters are used). False for
/// anything that is not an Argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if !phc.starts_with(PHC_PREFIX) {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(mut memory) = ArgonWorkingMemory::map(params.block_count()) else {
        return false;
    };
    let mut computed = vec![0u8; expected.as_bytes().len()];
    let hashed = Argon2::new(Algorithm::Argon2id, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut computed,
        memory.blocks(),
    );
    hashed.is_ok() && bool::from(computed.ct_eq(expected.as_bytes()))
}

/// One Argon2 computation's working memory (19 MiB for account passwords), mapped on its own and
/// unmapped on drop, so it goes back to the operating system at once. From the heap it did not:
/// glibc serves each thread from an arena of its own and, once its mmap threshold has risen past
/// 19 MiB, keeps a freed block at the top of that arena, which neither its trimming on free nor
/// `malloc_trim` gives back, so every blocking thread that ever verified a password kept a block
/// resident (0.8–1.5 GB after 1,000 logins before logins were limited to four hashes at a time,
/// +42–79 MiB after).
struct ArgonWorkingMemory {
    #[cfg(unix)]
    start: std::ptr::NonNull<Block>,
    #[cfg(unix)]
    block_count: usize,
    #[cfg(not(unix))]
    blocks: Vec<Block>,
}

impl ArgonWorkingMemory {
    /// A zeroed mapping of `block_count` Argon2 blocks.
    #[cfg(unix)]
    fn map(block_count: usize) -> Result<ArgonWorkingMemory, CryptoError> {
        let bytes = block_count
            .checked_mul(Block::SIZE)
            .filter(|bytes| *bytes > 0)
            .ok_or_else(|| CryptoError::PasswordHash("no Argon2 memory to map".into()))?;
        // SAFETY: an anonymous private mapping of `bytes` bytes at an address of the kernel's
        // choosing; no file, no existing memory involved.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(CryptoError::PasswordHash(format!(
                "mapping {bytes} bytes of Argon2 memory: {}",
                std::io::Error::last_os_error()
            )));
        }
        let start = std::ptr::NonNull::new(address.cast::<Block>())
            .ok_or_else(|| CryptoError::PasswordHash("mmap returned null".into()))?;
        Ok(ArgonWorkingMemory { start, block_count })
    }

    #[cfg(not(unix))]
    fn map(block_count: usize) -> Result<ArgonWorkingMemory, CryptoError> {
        Ok(ArgonWorkingMemory {
            blocks: vec![Block::new(); block_count],
        })
    }

    /// The blocks, for `Argon2::hash_password_into_with_memory`.
    fn blocks(&mut self) -> &mut [Block] {
        #[cfg(unix)]
        {
            // SAFETY: the mapping is page-aligned (Block needs 64), `block_count * SIZE` bytes
            // long, zero-filled by the kernel (an all-zero Block is a valid value), and only
            // reachable through this `&mut self` until it is unmapped in `drop`.
            unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.block_count) }
        }
        #[cfg(not(unix))]
        {
            &mut self.blocks
        }
    }
}

#[cfg(unix)]
impl Drop for ArgonWorkingMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; no reference into it outlives
        // `self` (`blocks` borrows `self` mutably).
        unsafe {
            libc::munmap(self.start.as_ptr().cast(), self.block_count * Block::SIZE);
        }
    }
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
    fn hashes_interoperate_with_the_argon2_crates_own_phc_code() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("correct horse").expect("hash");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        let params = Params::new(PASSWORD_M_KIB, PASSWORD_T, PASSWORD_P, Some(32)).expect("params");
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"correct horse", b"sixteen byte slt")
            .expect("hash")
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        assert!(!verify_password("correct horsf", &theirs));
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
