//! Who is on the other end of a request: the peer's address, or, when the peer is a proxy the
//! operator named with `--trusted-proxy`, the address the proxy says it forwarded for.
//!
//! `X-Forwarded-For` is a list each proxy appends to; anyone can write its start. So it is read
//! from its end, skipping trusted proxies, and the first address not among them is the client.
//! A peer that is not a trusted proxy is the client itself, whatever it claims.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// The client's address, as the listener resolved it (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

/// An address range, such as `10.0.0.0/8` or `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.base, canonical(address)) {
            (IpAddr::V4(base), IpAddr::V4(address)) => {
                prefix_matches(u128::from(base.to_bits()) << 96, u128::from(address.to_bits()) << 96, self.prefix)
            }
            (IpAddr::V6(base), IpAddr::V6(address)) => prefix_matches(base.to_bits(), address.to_bits(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_matches(base: u128, address: u128, prefix: u8) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
    base & mask == address & mask
}

/// An IPv4 address seen through an IPv6 socket is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("\"{text}\" is not an address range such as 10.0.0.0/8 or 127.0.0.1");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let base = canonical(address.trim().parse::<IpAddr>().map_err(|_| invalid())?);
        let most = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|p| *p <= most).ok_or_else(invalid)?,
            None => most,
        };
        Ok(Network { base, prefix })
    }
}

/// The networks whose proxies are believed about the client's address.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<Network>);

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client behind a request from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) => {
                    client = canonical(address);
                    if !self.trusts(client) {
                        break;
                    }
                }
                // A hop that is not an address: trust nothing written before it.
                Err(_) => break,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    #[test]
    fn networks_contain_their_addresses() {
        let ten: Network = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains("10.200.3.4".parse().unwrap()));
        assert!(ten.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!ten.contains("11.0.0.1".parse().unwrap()));
        let one: Network = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()) && !one.contains("127.0.0.2".parse().unwrap()));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()) && !v6.contains("fe80::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("proxy".parse::<Network>().is_err());
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies(vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()]);
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "127.0.0.9".parse().unwrap();
        // Through the proxy: the last address it did not add itself.
        assert_eq!(proxies.client(proxy, &headers("1.2.3.4, 10.0.0.5")), "1.2.3.4".parse::<IpAddr>().unwrap());
        // A client writing its own header does not choose its address.
        assert_eq!(proxies.client(proxy, &headers("6.6.6.6, 1.2.3.4")), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(proxies.client(stranger, &headers("1.2.3.4")), stranger);
        assert_eq!(proxies.client(proxy, &HeaderMap::new()), proxy);
        assert_eq!(proxies.client(proxy, &headers("garbage")), proxy);
    }
}
