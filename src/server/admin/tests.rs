use super::metrics::Health;
use super::request_target;

#[test]
fn the_request_line_gives_method_and_path() {
    assert_eq!(
        request_target(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        Some(("GET", "/healthz"))
    );
    assert_eq!(
        request_target(b"HEAD /metrics?x=1 HTTP/1.0\n\n"),
        Some(("HEAD", "/metrics?x=1"))
    );
}

#[test]
fn a_malformed_request_line_is_refused() {
    for head in [
        &b"GET /healthz\r\n\r\n"[..],
        b"GET healthz HTTP/1.1\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
        b"GET / SPDY/3\r\n\r\n",
        b"\xff\xfe / HTTP/1.1\r\n\r\n",
        b"no newline at all",
    ] {
        assert_eq!(request_target(head), None, "{head:?}");
    }
}

#[test]
fn only_ready_answers_200() {
    assert_eq!(Health::Ready.http_status(), 200);
    for health in [Health::CatchingUp, Health::NatsDown, Health::ShuttingDown] {
        assert_eq!(health.http_status(), 503, "{health:?}");
    }
    assert_eq!(Health::CatchingUp.word(), "catching-up");
}
