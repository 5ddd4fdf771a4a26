use super::*;

#[test]
fn a_self_signed_certificate_is_generated_once_and_kept_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let (first, created) = ServerTls::self_signed(&db, &[]).expect("generates");
    assert!(created);
    let (cert_path, key_path) = self_signed_paths(&db);
    assert_eq!(first.cert_path(), cert_path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for path in [&cert_path, &key_path] {
            let mode = std::fs::metadata(path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }
    let (again, created_again) = ServerTls::self_signed(&db, &[]).expect("reuses");
    assert!(!created_again);
    assert_eq!(first.fingerprint(), again.fingerprint());
}

#[test]
fn a_failed_reload_keeps_the_current_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let (tls, _) = ServerTls::self_signed(&db, &[]).expect("generates");
    let before = tls.fingerprint();
    let (cert_path, _) = self_signed_paths(&db);
    std::fs::write(&cert_path, "not a certificate").expect("overwrite");
    assert!(tls.reload().is_err());
    assert_eq!(tls.fingerprint(), before);
}

#[test]
fn a_key_file_without_a_key_is_reported_as_such() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let (_, _) = ServerTls::self_signed(&db, &[]).expect("generates");
    let (cert_path, _) = self_signed_paths(&db);
    let empty_key = dir.path().join("empty.pem");
    std::fs::write(&empty_key, "").expect("write");
    let error = ServerTls::from_files(&cert_path, &empty_key).expect_err("no key");
    assert!(error.to_string().contains("no PEM private key"), "{error}");
}
