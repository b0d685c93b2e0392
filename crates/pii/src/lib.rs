//! Personal data at rest: an authenticated cipher (XChaCha20-Poly1305, random 192-bit nonces) whose associated data
//! binds each ciphertext to its table, column and row, and keyed hashes (HMAC-SHA256) for lookups by citizen ID and
//! for verification codes. Every key is derived with HKDF-SHA256 from one 32-byte master key (`pii_key` in the
//! configuration, `DIACHI_PII_KEY`), which never enters the repository or the database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 24;

/// Failures of the personal-data layer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PiiError {
    /// The key is not 32 bytes of standard base64.
    #[error("the PII key must be 32 bytes in standard base64 (make one with `diachi keys pii-key`)")]
    BadKey,
    /// A ciphertext failed authentication.
    #[error("a ciphertext failed authentication (wrong key, or moved to another row or column)")]
    Tampered,
    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed")]
    Random,
}

/// Fills `buf` from the operating system's generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), PiiError> {
    getrandom::fill(buf).map_err(|_| PiiError::Random)
}

/// A fresh master key, base64 (what `diachi keys pii-key` prints).
pub fn new_master_key() -> Result<String, PiiError> {
    let mut k = [0u8; 32];
    random_bytes(&mut k)?;
    Ok(STANDARD.encode(k))
}

/// The ciphers and hash keys derived from the master key. Its `Debug` prints nothing secret.
#[derive(Clone)]
pub struct Pii {
    aead: XChaCha20Poly1305,
    lookup_key: [u8; 32],
    code_key: [u8; 32],
}

impl std::fmt::Debug for Pii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pii(…)")
    }
}

fn derive(master: &[u8], info: &[u8]) -> [u8; 32] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"diachi-pii-v1"), master);
    let mut out = [0u8; 32];
    // 32 bytes is always a valid HKDF-SHA256 output length
    let _ = hk.expand(info, &mut out);
    out
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    for p in parts {
        // length-prefixed, so that ("ab","c") and ("a","bc") differ
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl Pii {
    /// From the base64 master key of the configuration.
    pub fn from_base64(key: &str) -> Result<Self, PiiError> {
        let raw = STANDARD.decode(key.trim()).map_err(|_| PiiError::BadKey)?;
        if raw.len() != 32 {
            return Err(PiiError::BadKey);
        }
        let enc = derive(&raw, b"encryption");
        Ok(Self {
            aead: XChaCha20Poly1305::new_from_slice(&enc).map_err(|_| PiiError::BadKey)?,
            lookup_key: derive(&raw, b"citizen-id-lookup"),
            code_key: derive(&raw, b"verification-code"),
        })
    }

    /// Encrypts `plaintext` for `field` (e.g. `registrations.name`) of row `row`: nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, field: &str, row: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, PiiError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let aad = aad(field, row);
        let ct = self
            .aead
            .encrypt(&XNonce::from(nonce), chacha20poly1305::aead::Payload { msg: plaintext, aad: &aad })
            .map_err(|_| PiiError::Tampered)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`Pii::seal`] made for the same field and row.
    pub fn open(&self, field: &str, row: &[u8], sealed: &[u8]) -> Result<Vec<u8>, PiiError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(PiiError::Tampered);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| PiiError::Tampered)?;
        let aad = aad(field, row);
        self.aead
            .decrypt(&XNonce::from(nonce), chacha20poly1305::aead::Payload { msg: ct, aad: &aad })
            .map_err(|_| PiiError::Tampered)
    }

    /// The keyed hash a citizen ID is looked up by (the same ID always gives the same hash under one key).
    #[must_use]
    pub fn lookup_hash(&self, citizen_id: &str) -> [u8; 32] {
        hmac(&self.lookup_key, &[b"citizen-id", citizen_id.as_bytes()])
    }

    /// The keyed hash a verification code is stored as, bound to its registration.
    #[must_use]
    pub fn code_hash(&self, row: &[u8], code: &str) -> [u8; 32] {
        hmac(&self.code_key, &[row, code.as_bytes()])
    }
}

fn aad(field: &str, row: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(field.len() + row.len() + 9);
    v.extend_from_slice(b"diachi1:");
    v.extend_from_slice(field.as_bytes());
    v.push(0);
    v.extend_from_slice(row);
    v
}

/// Compares two byte strings in time that depends only on their lengths.
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pii() -> Pii {
        Pii::from_base64(&STANDARD.encode([7u8; 32])).unwrap()
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let p = pii();
        let row = b"row-1";
        let c = p.seal("registrations.name", row, "Nguyễn Văn An".as_bytes()).unwrap();
        assert!(!c.windows(6).any(|w| w == b"Nguy\xe1\xbb"), "no plaintext in the ciphertext");
        assert_eq!(p.open("registrations.name", row, &c).unwrap(), "Nguyễn Văn An".as_bytes());
        // another row or column, or a flipped bit, fails
        assert_eq!(p.open("registrations.name", b"row-2", &c), Err(PiiError::Tampered));
        assert_eq!(p.open("registrations.phone", row, &c), Err(PiiError::Tampered));
        let mut bad = c.clone();
        bad[30] ^= 1;
        assert_eq!(p.open("registrations.name", row, &bad), Err(PiiError::Tampered));
        assert_eq!(p.open("registrations.name", row, &c[..10]), Err(PiiError::Tampered));
        // random nonces: the same plaintext twice gives different ciphertexts
        assert_ne!(c, p.seal("registrations.name", row, "Nguyễn Văn An".as_bytes()).unwrap());
        // another key cannot open it
        let other = Pii::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert_eq!(other.open("registrations.name", row, &c), Err(PiiError::Tampered));
    }

    #[test]
    fn keyed_hashes_are_stable_and_keyed() {
        let p = pii();
        assert_eq!(p.lookup_hash("001090012345"), p.lookup_hash("001090012345"));
        assert_ne!(p.lookup_hash("001090012345"), p.lookup_hash("001090012346"));
        let other = Pii::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert_ne!(p.lookup_hash("001090012345"), other.lookup_hash("001090012345"));
        assert_ne!(p.code_hash(b"a", "12345678"), p.code_hash(b"b", "12345678"));
        assert_ne!(p.lookup_hash("12345678"), p.code_hash(b"", "12345678"));
    }

    #[test]
    fn bad_master_keys_are_refused() {
        assert_eq!(Pii::from_base64("").unwrap_err(), PiiError::BadKey);
        assert_eq!(Pii::from_base64("not base64!").unwrap_err(), PiiError::BadKey);
        assert_eq!(Pii::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err(), PiiError::BadKey);
        assert!(Pii::from_base64(&new_master_key().unwrap()).is_ok());
        assert!(!format!("{:?}", pii()).contains('7'));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
