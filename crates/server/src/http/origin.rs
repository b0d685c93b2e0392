//! The public origin of this server: the base of every absolute URL it writes (the style, TileJSON, the catalog).
//!
//! It is configured (`public_url`; by default the bound address). `Host`, `X-Forwarded-Host`, `X-Forwarded-Proto`
//! and `Forwarded` are followed only on connections from a configured trusted proxy (`trusted_proxies`), and even
//! then only when they hold a plain `host[:port]` and `http` or `https`: anything else falls back to the configured
//! URL. Of a list (`a, b`, or several `Forwarded` elements) the last value counts: the one the proxy in front of
//! this server wrote. Without trusted proxies the URLs depend on no request header at all.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// The request headers an answer built with [`PublicOrigin::base`] depends on when proxies are trusted.
pub const VARY_ON: &str = "Host, X-Forwarded-Host, X-Forwarded-Proto, Forwarded";

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http`
    Http,
    /// `https`
    Https,
}

impl Scheme {
    fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else if s.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else {
            None
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// A `host[:port]`: a DNS name (letters, digits, `-`, `_`, dot-separated labels), an IPv4 address or a bracketed
/// IPv6 address, and an optional port 1–65535; lower-cased. Nothing else — no user info, path, quote or space.
fn authority(s: &str) -> Option<String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        Ipv6Addr::from_str(v6).ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&s[..v6.len() + 2], port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || !(1..=65535).contains(&p.parse::<u32>().ok()?))
    {
        return None;
    }
    if !host.starts_with('[') {
        let labels_ok = host.len() <= 253
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !labels_ok {
            return None;
        }
    }
    Some(s.to_ascii_lowercase())
}

/// The configured public base URL: `http[s]://host[:port]` and an optional path prefix (`/maps`), no query, no
/// fragment, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl {
    scheme: Scheme,
    authority: String,
    path: String,
}

impl PublicUrl {
    /// The URL of a server reached at this socket address (an unspecified address, `0.0.0.0` or `[::]`, stands for
    /// the loopback one).
    #[must_use]
    pub fn of_socket(addr: SocketAddr) -> Self {
        let ip = match addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Self { scheme: Scheme::Http, authority: SocketAddr::new(ip, addr.port()).to_string(), path: String::new() }
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("public_url must be http[s]://host[:port][/path], not {s:?}");
        let t = s.trim();
        let (scheme, rest) = t.split_once("://").ok_or_else(bad)?;
        let scheme = Scheme::parse(scheme).ok_or_else(bad)?;
        let (auth, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let authority = authority(auth).ok_or_else(bad)?;
        let path = path.trim_end_matches('/');
        let path_ok = path.is_empty()
            || (!path.contains("//") && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b)));
        if !path_ok {
            return Err(bad());
        }
        Ok(Self { scheme, authority, path: path.to_owned() })
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<PublicUrl> for String {
    fn from(u: PublicUrl) -> Self {
        u.to_string()
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme.as_str(), self.authority, self.path)
    }
}

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`; a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in this network (an IPv4 address written as IPv6, `::ffff:a.b.c.d`, counts as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("a trusted proxy is an IP address or a network (10.0.0.0/8), not {s:?}");
        let t = s.trim();
        let (addr, prefix) = t.split_once('/').map_or((t, None), |(a, p)| (a, Some(p)));
        let addr = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Self { addr, prefix })
    }
}

impl TryFrom<String> for IpNet {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<IpNet> for String {
    fn from(n: IpNet) -> Self {
        n.to_string()
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The base of this server's absolute URLs, and whom to believe about it.
#[derive(Debug, Clone)]
pub struct PublicOrigin {
    /// The configured public URL.
    pub url: PublicUrl,
    /// The proxies whose `Host` / `X-Forwarded-*` / `Forwarded` headers are followed.
    pub trusted_proxies: Vec<IpNet>,
}

impl PublicOrigin {
    /// Whether answers built on [`Self::base`] depend on request headers (some proxy is trusted): they then carry
    /// `Vary: ` [`VARY_ON`].
    #[must_use]
    pub fn varies(&self) -> bool {
        !self.trusted_proxies.is_empty()
    }

    /// `Vary` for an answer built on [`Self::base`], when it depends on request headers.
    #[must_use]
    pub fn vary(&self) -> Option<(header::HeaderName, HeaderValue)> {
        self.varies().then(|| (header::VARY, HeaderValue::from_static(VARY_ON)))
    }

    /// The base URL (no trailing slash) for an answer to this request.
    #[must_use]
    pub fn base(&self, req: &HttpRequest) -> String {
        self.base_for(req.peer_addr().map(|a| a.ip()), req.headers())
    }

    fn base_for(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
        let trusted = peer.is_some_and(|ip| self.trusted_proxies.iter().any(|n| n.contains(ip)));
        if !trusted {
            return self.url.to_string();
        }
        let forwarded = last_forwarded(headers);
        let host = forwarded
            .as_ref()
            .and_then(|f| f.host.clone())
            .or_else(|| last_value(headers, "x-forwarded-host"))
            .or_else(|| last_value(headers, header::HOST.as_str()));
        let proto = forwarded.and_then(|f| f.proto).or_else(|| last_value(headers, "x-forwarded-proto"));
        let scheme = proto.as_deref().and_then(Scheme::parse).unwrap_or(self.url.scheme);
        let authority = host.as_deref().and_then(authority).unwrap_or_else(|| self.url.authority.clone());
        format!("{}://{authority}{}", scheme.as_str(), self.url.path)
    }
}

/// The last comma-separated value of a header (of its last line when it is repeated), trimmed.
fn last_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get_all(name).last()?.to_str().ok()?;
    Some(v.rsplit(',').next()?.trim().to_owned())
}

/// `host` and `proto` of the last `Forwarded` element (RFC 7239).
#[derive(Default)]
struct Forwarded {
    host: Option<String>,
    proto: Option<String>,
}

fn last_forwarded(headers: &HeaderMap) -> Option<Forwarded> {
    let element = last_value(headers, header::FORWARDED.as_str())?;
    let mut f = Forwarded::default();
    for pair in element.split(';') {
        let Some((k, v)) = pair.split_once('=') else { continue };
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v).to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "host" => f.host = Some(v),
            "proto" => f.proto = Some(v),
            _ => {}
        }
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str, trusted: &[&str]) -> PublicOrigin {
        PublicOrigin {
            url: url.parse().unwrap_or_else(|e| panic!("{e}")),
            trusted_proxies: trusted.iter().map(|t| t.parse().unwrap_or_else(|e| panic!("{e}"))).collect(),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(header::HeaderName::from_static(k), HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")));
        }
        h
    }

    #[test]
    fn public_urls_parse_strictly() {
        for (s, shown) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://Maps.Example.VN/", "https://maps.example.vn"),
            ("HTTPS://maps.example.vn:8443/diachi/", "https://maps.example.vn:8443/diachi"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://diachi_api:8080", "http://diachi_api:8080"),
        ] {
            assert_eq!(s.parse::<PublicUrl>().map(|u| u.to_string()), Ok(shown.to_owned()), "{s}");
        }
        for s in [
            "",
            "maps.example.vn",
            "ftp://maps.example.vn",
            "javascript://x",
            "http://",
            "http://user@maps.example.vn",
            "http://maps.example.vn:0",
            "http://maps.example.vn:65536",
            "http://maps.example.vn:",
            "http://maps..example.vn",
            "http://-maps.example.vn",
            "http://maps.example.vn/a?b",
            "http://maps.example.vn/a#b",
            "http://maps.example.vn/a\"b",
            "http://maps.example.vn//a",
            "http://[::1",
            "http://[zz::1]",
            "http://a b",
            r#"http://x.test/","glyphs":"https://evil.example"#,
        ] {
            assert!(s.parse::<PublicUrl>().is_err(), "{s}");
        }
    }

    #[test]
    fn the_default_url_is_the_bound_address() {
        let u = |s: &str| PublicUrl::of_socket(s.parse().unwrap_or_else(|e| panic!("{e}"))).to_string();
        assert_eq!(u("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(u("0.0.0.0:80"), "http://127.0.0.1:80");
        assert_eq!(u("[::]:8080"), "http://[::1]:8080");
        assert_eq!(u("[fd00::5]:8080"), "http://[fd00::5]:8080");
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n = |s: &str| s.parse::<IpNet>().unwrap_or_else(|e| panic!("{e}"));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or_else(|e| panic!("{e}"));
        assert!(n("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!n("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(n("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(n("127.0.0.1").contains(ip("::ffff:127.0.0.1")));
        assert!(!n("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(n("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!n("0.0.0.0/0").contains(ip("::1")));
        assert!(n("fd00::/8").contains(ip("fd12::1")));
        assert!(n("::1").contains(ip("::1")));
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0/8", "localhost", "10.0.0.0/-1", "10.0.0.0/"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_count_only_from_a_trusted_proxy_and_only_when_plain() {
        let o = origin("https://maps.example.vn/diachi", &["10.0.0.0/8"]);
        let proxy = Some(ip("10.1.2.3"));
        let stranger = Some(ip("203.0.113.9"));
        let h = headers(&[("x-forwarded-host", "tiles.example.vn:8443"), ("x-forwarded-proto", "http")]);
        assert_eq!(o.base_for(stranger, &h), "https://maps.example.vn/diachi");
        assert_eq!(o.base_for(None, &h), "https://maps.example.vn/diachi");
        assert_eq!(o.base_for(proxy, &h), "http://tiles.example.vn:8443/diachi");
        // Forwarded first; of a list, the last value (written by the proxy in front)
        let h = headers(&[
            ("forwarded", "host=evil.example, for=1.2.3.4;Host=\"b.example.vn\";proto=https"),
            ("x-forwarded-host", "c.example.vn"),
        ]);
        assert_eq!(o.base_for(proxy, &h), "https://b.example.vn/diachi");
        let h = headers(&[("x-forwarded-host", "evil.example, a.example.vn"), ("host", "h.example.vn")]);
        assert_eq!(o.base_for(proxy, &h), "https://a.example.vn/diachi");
        assert_eq!(o.base_for(proxy, &headers(&[("host", "h.example.vn:81")])), "https://h.example.vn:81/diachi");
        // anything but a plain host[:port] and http/https falls back to the configured URL
        for (k, v) in [
            ("x-forwarded-host", r#"x.test/","glyphs":"https://evil.example"#),
            ("x-forwarded-host", "a b"),
            ("x-forwarded-host", "user@evil.example"),
            ("x-forwarded-host", "evil.example:99999"),
            ("host", "evil.example/x"),
            ("forwarded", "host=\"evil.example/\\\"\""),
        ] {
            assert_eq!(o.base_for(proxy, &headers(&[(k, v)])), "https://maps.example.vn/diachi", "{k}: {v}");
        }
        for p in ["javascript", "ftp", "https:", ""] {
            let h = headers(&[("x-forwarded-proto", p)]);
            assert_eq!(o.base_for(proxy, &h), "https://maps.example.vn/diachi", "{p}");
        }
        assert!(o.varies());
        assert!(!origin("http://127.0.0.1:8080", &[]).varies());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }
}
