//! The documents port on a folder. Links point at the local server's `/files/` route and carry
//! an expiry and an HMAC-SHA256 signature with a key kept in the data folder, so a link works
//! for its holder until it expires, like an S3 presigned URL.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use svet_domain::Clock;
use svet_domain::documents::{DocKey, Document, DocumentError, Documents};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct FolderDocuments {
    root: PathBuf,
    /// Where the local server is reached, e.g. `http://127.0.0.1:8080`.
    base_url: String,
    key: Arc<[u8; 32]>,
    clock: Arc<dyn Clock>,
}

impl FolderDocuments {
    /// Documents under `root`; the signing key is `root/.link-key`, made on first use.
    pub fn open(
        root: impl AsRef<Path>,
        base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DocumentError> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).map_err(unavailable)?;
        let key_path = root.join(".link-key");
        let key = match std::fs::read(&key_path) {
            Ok(bytes) if bytes.len() == 32 => bytes,
            _ => {
                let mut fresh = vec![0u8; 32];
                getrandom::fill(&mut fresh).map_err(|e| unavailable(std::io::Error::other(e.to_string())))?;
                write_atomically(&key_path, &fresh).map_err(unavailable)?;
                fresh
            }
        };
        let key: [u8; 32] = key.try_into().map_err(|_| unavailable(std::io::Error::other("bad key")))?;
        Ok(FolderDocuments {
            root,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key: Arc::new(key),
            clock,
        })
    }

    fn path(&self, key: &DocKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    fn signature(&self, key: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.key.as_slice()).expect("any key length");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// Whether a link's `expires` and `sig` are valid for `key` now (constant-time compare).
    pub fn verify_link(&self, key: &DocKey, expires: i64, sig_hex: &str) -> bool {
        if expires <= self.clock.now().as_second() {
            return false;
        }
        let Ok(sig) = hex::decode(sig_hex) else { return false };
        self.signature(key.as_str(), expires).verify_slice(&sig).is_ok()
    }

    /// Reads a document without a link check, for the local server once it has verified one.
    pub fn read(&self, key: &DocKey) -> std::io::Result<Option<Document>> {
        let bytes = match std::fs::read(self.path(key)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let content_type = std::fs::read_to_string(type_path(&self.path(key)))
            .unwrap_or_else(|_| "application/octet-stream".into());
        Ok(Some(Document { bytes, content_type }))
    }
}

fn type_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".content-type");
    path.with_file_name(name)
}

fn unavailable(e: std::io::Error) -> DocumentError {
    DocumentError::Unavailable(e.into())
}

/// Writes through a temporary file and a rename, so readers never see half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[async_trait]
impl Documents for FolderDocuments {
    async fn put(&self, key: &DocKey, doc: Document) -> Result<(), DocumentError> {
        let path = self.path(key);
        tokio::task::spawn_blocking(move || {
            write_atomically(&type_path(&path), doc.content_type.as_bytes())?;
            write_atomically(&path, &doc.bytes)
        })
        .await
        .map_err(|e| DocumentError::Unavailable(e.into()))?
        .map_err(unavailable)
    }

    async fn get(&self, key: &DocKey) -> Result<Option<Document>, DocumentError> {
        let this = self.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || this.read(&key))
            .await
            .map_err(|e| DocumentError::Unavailable(e.into()))?
            .map_err(unavailable)
    }

    async fn link(&self, key: &DocKey, valid_for: Duration) -> Result<String, DocumentError> {
        let valid_for = i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX / 2);
        let expires = self.clock.now().as_second().saturating_add(valid_for);
        let sig = hex::encode(self.signature(key.as_str(), expires).finalize().into_bytes());
        Ok(format!("{}/files/{}?expires={expires}&sig={sig}", self.base_url, key.as_str()))
    }
}
