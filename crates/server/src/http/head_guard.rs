//! A guard in front of actix-http's HTTP/1 parser, so that a request refused while its head is read still gets the
//! API's JSON error shape.
//!
//! actix-http answers some requests itself, before any route or middleware, with an empty body: a head over its
//! 128 KiB buffer or with more than 96 headers (431), a request target over 64 KiB (the `http` crate's limit; 400),
//! a malformed request line or framing header (400), a head not received within the request timeout (408). None of
//! these can be changed from the application. So each connection's bytes pass through [`HeadGuard`] first: it reads
//! every request head whole (up to [`Limits::head`] bytes), checks it as actix-http would, and passes it on as it is
//! when actix-http will take it. A head it refuses is replaced by a short request for `/_refused/{code}` (with
//! `Connection: close`), which the router answers with the JSON error (414 `uri_too_long`, 431
//! `headers_too_large`, 400 `malformed_request`, 408 `request_timeout`) through the usual middleware; the rest of
//! the connection's input is dropped. Answers to earlier requests of the connection keep their order.
//!
//! To find the next head on a kept-alive connection, the guard follows `Content-Length` bodies. A request with a
//! chunked body (or a WebSocket upgrade) gets `Connection: close` added to its head and the rest of the connection
//! goes through unchecked: it holds no further request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_web::http::{Method, Uri};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The path prefix of the requests that stand for a refused head.
pub const REFUSED_PREFIX: &str = "/_refused/";

/// The headers of one request at most (actix-http's own limit).
const MAX_HEADERS: usize = 96;

/// What the guard lets through.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of a request target (path and query) at most.
    pub uri: usize,
    /// Bytes of a request head (request line and headers) at most.
    pub head: usize,
    /// Time to receive a whole request head, from the connection's start or the head's first byte.
    pub head_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { uri: 8 * 1024, head: 32 * 1024, head_timeout: Duration::from_secs(5) }
    }
}

/// Why a head was refused: the code of the JSON error, which `/_refused/{code}` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 414 `uri_too_long`
    UriTooLong,
    /// 431 `headers_too_large`
    HeadersTooLarge,
    /// 400 `malformed_request`
    Malformed,
    /// 408 `request_timeout`
    Timeout,
}

impl Refusal {
    /// The error code (and last path segment of the stand-in request).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::UriTooLong => "uri_too_long",
            Self::HeadersTooLarge => "headers_too_large",
            Self::Malformed => "malformed_request",
            Self::Timeout => "request_timeout",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Passing this many more body bytes on.
    Body(u64),
    /// Passing everything on unchecked (after a chunked body or an upgrade, with `Connection: close`).
    Through,
    /// A head was refused: the input is dropped.
    Refused,
}

/// What follows a head, as actix-http frames it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// This many bytes (`Content-Length`, or none).
    Length(u64),
    /// A chunked body or a WebSocket upgrade: the guard stops following the connection.
    Open,
}

/// What a complete head is.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// More bytes are needed.
    Incomplete,
    /// A head of `len` bytes, and what follows it.
    Pass {
        len: usize,
        body: Body,
    },
    Refuse(Refusal),
}

/// An HTTP/1 connection's byte stream, its request heads checked before actix-http reads them.
pub struct HeadGuard<S> {
    inner: S,
    state: State,
    limits: Limits,
    /// Input not yet examined (the head being read, and whatever came after it).
    pending: BytesMut,
    /// Bytes of `pending` already searched for the end of the head.
    scanned: usize,
    /// Checked bytes for actix-http to read.
    out: BytesMut,
    /// The deadline of the head being read (the first one from the start of the connection).
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> HeadGuard<S> {
    /// Guards `inner` with these limits.
    #[must_use]
    pub fn new(inner: S, limits: Limits) -> Self {
        Self {
            inner,
            state: State::Head,
            limits,
            pending: BytesMut::new(),
            scanned: 0,
            out: BytesMut::new(),
            timer: (!limits.head_timeout.is_zero()).then(|| Box::pin(tokio::time::sleep(limits.head_timeout))),
        }
    }

    /// Moves what can be moved from `pending` to `out`, as the state says.
    fn process(&mut self) {
        loop {
            match self.state {
                State::Refused => {
                    self.pending.clear();
                    return;
                }
                State::Through => {
                    let rest = self.pending.split();
                    self.out.extend_from_slice(&rest);
                    return;
                }
                State::Body(n) => {
                    if self.pending.is_empty() {
                        return;
                    }
                    let k = usize::try_from(n).unwrap_or(usize::MAX).min(self.pending.len());
                    let chunk = self.pending.split_to(k);
                    self.out.extend_from_slice(&chunk);
                    let left = n - k as u64;
                    self.state = if left == 0 { State::Head } else { State::Body(left) };
                }
                State::Head => {
                    if self.pending.is_empty() {
                        return;
                    }
                    if self.timer.is_none() && !self.limits.head_timeout.is_zero() {
                        self.timer = Some(Box::pin(tokio::time::sleep(self.limits.head_timeout)));
                    }
                    match self.examine() {
                        Verdict::Incomplete => return,
                        Verdict::Refuse(r) => self.refuse(r),
                        Verdict::Pass { len, body } => {
                            let mut head = self.pending.split_to(len);
                            self.scanned = 0;
                            self.timer = None;
                            match body {
                                Body::Length(0) => {}
                                Body::Length(n) => self.state = State::Body(n),
                                Body::Open => {
                                    head = with_connection_close(&head);
                                    self.state = State::Through;
                                }
                            }
                            self.out.extend_from_slice(&head);
                        }
                    }
                }
            }
        }
    }

    /// The verdict on the head at the start of `pending`.
    fn examine(&mut self) -> Verdict {
        // parse only once the end of a head (an empty line) may have arrived: a head sent byte by byte is not
        // parsed again and again
        let from = self.scanned.saturating_sub(3);
        let ends = self.pending[from..].windows(2).any(|w| w == b"\n\n")
            || self.pending[from..].windows(3).any(|w| w == b"\n\r\n");
        self.scanned = self.pending.len();
        if ends {
            let v = check_head(&self.pending, self.limits);
            if v != Verdict::Incomplete {
                return v;
            }
        }
        if self.pending.len() > self.limits.head {
            Verdict::Refuse(too_large(&self.pending, self.limits))
        } else {
            Verdict::Incomplete
        }
    }

    /// Replaces the head being read by the request for `/_refused/{code}` and drops the rest of the input.
    fn refuse(&mut self, r: Refusal) {
        let method = if skip_empty_lines(&self.pending).starts_with(b"HEAD ") { "HEAD" } else { "GET" };
        let stand_in =
            format!("{method} {REFUSED_PREFIX}{} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n", r.code());
        self.out.extend_from_slice(stand_in.as_bytes());
        self.pending.clear();
        self.timer = None;
        self.state = State::Refused;
    }
}

/// The buffer without the empty lines a client may send before a request line (RFC 9112 §2.2).
fn skip_empty_lines(buf: &[u8]) -> &[u8] {
    let n = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    &buf[n..]
}

/// A head over the limit that has not ended: 414 when its request line is (or may be) the long part, else 431.
fn too_large(buf: &[u8], limits: Limits) -> Refusal {
    match skip_empty_lines(buf).iter().position(|&b| b == b'\n') {
        Some(line) if line <= limits.uri + 32 => Refusal::HeadersTooLarge,
        _ => Refusal::UriTooLong,
    }
}

/// Adds `Connection: close` as the head's last header (actix-http then closes the connection after the answer,
/// whatever other `Connection` header the request had).
fn with_connection_close(head: &[u8]) -> BytesMut {
    let end = if head.ends_with(b"\r\n") { head.len() - 2 } else { head.len().saturating_sub(1) };
    let mut out = BytesMut::with_capacity(head.len() + 20);
    out.extend_from_slice(&head[..end]);
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&head[end..]);
    out
}

/// Checks a head as actix-http 3 parses it (`h1::decoder`): the same parser (httparse, 96 headers), the method and
/// URI types, and the header rules that make it answer 400 — plus the guard's own limits.
fn check_head(buf: &[u8], limits: Limits) -> Verdict {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Verdict::Incomplete,
        Err(httparse::Error::TooManyHeaders) => return Verdict::Refuse(Refusal::HeadersTooLarge),
        Err(_) => {
            // a request line too long to be what it should is refused as such, whatever else is wrong
            let line = skip_empty_lines(buf).iter().position(|&b| b == b'\n').unwrap_or(buf.len());
            return Verdict::Refuse(if line > limits.uri + 32 { Refusal::UriTooLong } else { Refusal::Malformed });
        }
    };
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Verdict::Refuse(Refusal::Malformed);
    };
    if path.len() > limits.uri {
        return Verdict::Refuse(Refusal::UriTooLong);
    }
    if len > limits.head {
        return Verdict::Refuse(Refusal::HeadersTooLarge);
    }
    if Method::from_bytes(method.as_bytes()).is_err() || Uri::try_from(path).is_err() {
        return Verdict::Refuse(Refusal::Malformed);
    }
    match framing(req.headers, version == 1, method) {
        Some(body) => Verdict::Pass { len, body },
        None => Verdict::Refuse(Refusal::Malformed),
    }
}

/// The body that follows a head, as actix-http frames it; `None` for a head actix-http refuses (400).
fn framing(headers: &[httparse::Header<'_>], http11: bool, method: &str) -> Option<Body> {
    let (mut length, mut chunked, mut te, mut host, mut websocket) = (None, false, false, false, false);
    for h in headers {
        let value = || std::str::from_utf8(h.value).ok().map(str::trim);
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = value()?;
            if length.is_some() || v.starts_with('+') {
                return None;
            }
            length = Some(v.parse::<u64>().ok()?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // HTTP/1.0 must not carry it; HTTP/1.1 once, and only `chunked`
            if !http11 || te || !value()?.eq_ignore_ascii_case("chunked") {
                return None;
            }
            te = true;
            chunked = true;
        } else if h.name.eq_ignore_ascii_case("host") {
            if host {
                return None;
            }
            host = true;
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            websocket |= value().is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        }
    }
    if (http11 && !host) || (chunked && length.is_some()) || (!http11 && method == "POST" && length.is_none()) {
        return None;
    }
    Some(if chunked || websocket { Body::Open } else { Body::Length(length.unwrap_or(0)) })
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadGuard<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.out.is_empty() {
                let n = this.out.len().min(buf.remaining());
                buf.put_slice(&this.out[..n]);
                this.out.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.state == State::Through && this.pending.is_empty() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => return Poll::Ready(Ok(())), // end of input
                Poll::Ready(Ok(())) => {
                    if this.state != State::Refused {
                        this.pending.extend_from_slice(read.filled());
                        this.process();
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    // a head that does not arrive in time is refused (408)
                    if this.state == State::Head
                        && let Some(timer) = this.timer.as_mut()
                    {
                        ready!(timer.as_mut().poll(cx));
                        this.refuse(Refusal::Timeout);
                        continue;
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadGuard<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::fmt::Write as _;
    use tokio::io::AsyncReadExt;

    /// Input in these chunks, then the end (or nothing more, ever).
    struct Script {
        chunks: VecDeque<Vec<u8>>,
        then_wait: bool,
    }

    impl AsyncRead for Script {
        fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            match self.chunks.pop_front() {
                Some(mut c) => {
                    let n = c.len().min(buf.remaining());
                    buf.put_slice(&c[..n]);
                    if n < c.len() {
                        self.chunks.push_front(c.split_off(n));
                    }
                    Poll::Ready(Ok(()))
                }
                None if self.then_wait => Poll::Pending,
                None => Poll::Ready(Ok(())),
            }
        }
    }

    fn limits() -> Limits {
        Limits { uri: 8 * 1024, head: 32 * 1024, head_timeout: Duration::from_secs(30) }
    }

    /// What actix-http reads when the client sends `input` in chunks of `size` bytes.
    async fn through(input: &[u8], size: usize, limits: Limits) -> Vec<u8> {
        let chunks = input.chunks(size).map(<[u8]>::to_vec).collect();
        let mut g = HeadGuard::new(Script { chunks, then_wait: false }, limits);
        let mut out = Vec::new();
        g.read_to_end(&mut out).await.unwrap_or_else(|e| panic!("{e}"));
        out
    }

    fn stand_in(method: &str, r: Refusal) -> Vec<u8> {
        format!("{method} {REFUSED_PREFIX}{} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n", r.code())
            .into_bytes()
    }

    #[tokio::test]
    async fn good_requests_pass_unchanged_however_they_are_cut() {
        let long_body = "A".repeat(40_000);
        let inputs = [
            "GET /v1/reverse?lat=21&lon=105 HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            "\r\nGET / HTTP/1.0\r\n\r\nGET /b HTTP/1.1\nHost: x\n\n".to_owned(),
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                .to_owned(),
            // a body that looks like an over-long request line is a body
            format!(
                "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{long_body}GET /b HTTP/1.1\r\nHost: x\r\n\r\n",
                long_body.len()
            ),
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            format!("GET /{} HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n\r\n", "p".repeat(8_000), "h".repeat(20_000)),
        ];
        for input in &inputs {
            for size in [1, 7, 1024, 1 << 20] {
                assert_eq!(through(input.as_bytes(), size, limits()).await, input.as_bytes(), "{input:.80} by {size}");
            }
        }
    }

    #[tokio::test]
    async fn a_chunked_body_closes_the_connection_after_its_answer() {
        let input = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        let want = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        for size in [1, 5, 4096] {
            assert_eq!(String::from_utf8_lossy(&through(input.as_bytes(), size, limits()).await), want, "by {size}");
        }
        let ws = "GET /ws HTTP/1.1\nHost: x\nUpgrade: websocket\n\n\u{1}\u{2}";
        let want = "GET /ws HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: close\r\n\n\u{1}\u{2}";
        assert_eq!(String::from_utf8_lossy(&through(ws.as_bytes(), 3, limits()).await), want);
    }

    #[tokio::test]
    async fn heads_over_the_limits_become_the_stand_in_and_the_rest_is_dropped() {
        let ok = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
        let long_uri =
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9_000));
        let huge_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
        let big_header = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(40_000));
        let many = (0..100).fold(String::new(), |mut m, i| {
            let _ = write!(m, "X-{i}: {i}\r\n");
            m
        });
        let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n");
        for (input, method, refusal) in [
            (format!("{ok}{long_uri}"), "GET", Refusal::UriTooLong),
            (huge_uri.clone(), "GET", Refusal::UriTooLong),
            (huge_uri.replacen("GET", "HEAD", 1), "HEAD", Refusal::UriTooLong),
            // never ends: refused once over the head limit
            (format!("GET /{}", "a".repeat(50_000)), "GET", Refusal::UriTooLong),
            (format!("GET / HTTP/1.1\r\nX-Big: {}", "b".repeat(50_000)), "GET", Refusal::HeadersTooLarge),
            (big_header, "GET", Refusal::HeadersTooLarge),
            (many, "GET", Refusal::HeadersTooLarge),
        ] {
            for size in [1000, 1 << 20] {
                let mut want = if input.starts_with(ok) { ok.as_bytes().to_vec() } else { Vec::new() };
                want.extend(stand_in(method, refusal));
                let got = through(input.as_bytes(), size, limits()).await;
                assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "{input:.60} by {size}");
            }
        }
    }

    #[tokio::test]
    async fn heads_actix_http_refuses_become_the_malformed_stand_in() {
        for input in [
            "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Header: 1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n{",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n{",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.0\r\n\r\n",
        ] {
            let got = through(input.as_bytes(), 4096, limits()).await;
            assert_eq!(got, stand_in("GET", Refusal::Malformed), "{input:?}");
        }
    }

    #[tokio::test]
    async fn a_head_that_does_not_arrive_in_time_is_refused() {
        let l = Limits { head_timeout: Duration::from_millis(50), ..limits() };
        for input in ["", "GET / HT"] {
            let chunks = if input.is_empty() { VecDeque::new() } else { VecDeque::from([input.as_bytes().to_vec()]) };
            let mut g = HeadGuard::new(Script { chunks, then_wait: true }, l);
            let mut out = vec![0u8; 1024];
            let n = tokio::time::timeout(Duration::from_secs(10), g.read(&mut out))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&out[..n], stand_in("GET", Refusal::Timeout), "{input:?}");
        }
        // a head that arrived in time lets the connection wait for the next one
        let mut g = HeadGuard::new(
            Script { chunks: VecDeque::from([b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()]), then_wait: true },
            l,
        );
        let mut out = vec![0u8; 1024];
        let n = g.read(&mut out).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 27);
        assert!(tokio::time::timeout(Duration::from_millis(200), g.read(&mut out)).await.is_err(), "no stand-in");
    }
}
