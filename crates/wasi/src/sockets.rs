//! `wasi:sockets`, present so that components importing it instantiate, and denying unless
//! the embedder grants the network ([`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network)):
//! without it, creating a socket and resolving a name return `access-denied`.
//!
//! With it, a guest may resolve names and connect TCP sockets (the connection is made in
//! `start-connect`, blocking up to the connect timeout); binding, listening and UDP are
//! `not-supported`. The UDP types have no values, so their methods can never be called.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tether::{Borrow, StoreContextMut};

use crate::WasiView;
use crate::bindings::wasi::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use crate::bindings::wasi::sockets::tcp::ShutdownType;
use crate::bindings::wasi::sockets::udp::{IncomingDatagram, OutgoingDatagram};
use crate::bindings::wasi::sockets::{
    instance_network, ip_name_lookup, network, tcp, tcp_create_socket, udp, udp_create_socket,
};
use crate::io::{In, InputStream, Out, OutputStream, Pollable, Ready};

/// `wasi:sockets/network.network`: the guest's handle to the network, which grants nothing.
pub struct Network;

/// `wasi:sockets/tcp.tcp-socket`: a client socket, created only when the embedder granted
/// the network.
pub struct TcpSocket {
    family: IpAddressFamily,
    state: TcpState,
}

enum TcpState {
    /// Created, not connected.
    Unbound,
    /// `start-connect` ran; `finish-connect` hands over the outcome.
    Connecting(io::Result<TcpStream>),
    /// Connected, its streams handed out.
    Connected(Arc<TcpStream>),
    /// A connection failed or was shut down.
    Closed,
}

/// `wasi:sockets/udp.udp-socket`: never created.
pub enum UdpSocket {}

/// `wasi:sockets/udp.incoming-datagram-stream`: never created.
pub enum IncomingDatagramStream {}

/// `wasi:sockets/udp.outgoing-datagram-stream`: never created.
pub enum OutgoingDatagramStream {}

/// `wasi:sockets/ip-name-lookup.resolve-address-stream`: the addresses a name resolved to.
pub struct ResolveAddressStream(VecDeque<IpAddress>);

/// How long `start-connect` waits for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The WASI error code of an I/O error on a socket.
fn net_error(e: &io::Error) -> ErrorCode {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::ConnectionReset => ErrorCode::ConnectionReset,
        K::ConnectionAborted => ErrorCode::ConnectionAborted,
        K::TimedOut => ErrorCode::Timeout,
        K::HostUnreachable | K::NetworkUnreachable => ErrorCode::RemoteUnreachable,
        K::AddrInUse => ErrorCode::AddressInUse,
        K::AddrNotAvailable => ErrorCode::AddressNotBindable,
        K::InvalidInput => ErrorCode::InvalidArgument,
        K::PermissionDenied => ErrorCode::AccessDenied,
        K::WouldBlock => ErrorCode::WouldBlock,
        K::OutOfMemory => ErrorCode::OutOfMemory,
        _ => ErrorCode::Unknown,
    }
}

fn ip_address(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            IpAddress::Ipv4((a, b, c, d))
        }
        IpAddr::V6(a) => {
            let [a, b, c, d, e, f, g, h] = a.segments();
            IpAddress::Ipv6((a, b, c, d, e, f, g, h))
        }
    }
}

fn to_wasi(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(a) => {
            let [w, x, y, z] = a.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: a.port(),
                address: (w, x, y, z),
            })
        }
        SocketAddr::V6(a) => {
            let [s0, s1, s2, s3, s4, s5, s6, s7] = a.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: a.port(),
                flow_info: a.flowinfo(),
                address: (s0, s1, s2, s3, s4, s5, s6, s7),
                scope_id: a.scope_id(),
            })
        }
    }
}

fn from_wasi(addr: &IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(a) => {
            let (w, x, y, z) = a.address;
            SocketAddr::from(([w, x, y, z], a.port))
        }
        IpSocketAddress::Ipv6(a) => {
            let (s0, s1, s2, s3, s4, s5, s6, s7) = a.address;
            let ip = std::net::Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7);
            SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                a.port,
                a.flow_info,
                a.scope_id,
            ))
        }
    }
}

impl TcpSocket {
    fn connected(&self) -> Result<&Arc<TcpStream>, ErrorCode> {
        match &self.state {
            TcpState::Connected(s) => Ok(s),
            _ => Err(ErrorCode::InvalidState),
        }
    }
}

type Net<T> = Result<Result<T, ErrorCode>>;

impl<T: WasiView> network::Host for T {}

impl<T: WasiView> instance_network::Host for T {
    fn instance_network(&mut self) -> Result<Network> {
        Ok(Network)
    }
}

impl<T: WasiView> ip_name_lookup::Host for T {
    fn resolve_address_stream_resolve_next_address(
        &mut self,
        this: &mut ResolveAddressStream,
    ) -> Net<Option<IpAddress>> {
        Ok(Ok(this.0.pop_front()))
    }

    fn resolve_address_stream_subscribe(
        &mut self,
        _this: &mut ResolveAddressStream,
    ) -> Result<Pollable> {
        Ok(Pollable(Ready::Always))
    }

    fn resolve_addresses(
        &mut self,
        _network: &mut Network,
        name: String,
    ) -> Net<ResolveAddressStream> {
        if !self.ctx().network {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        if name.is_empty() || name.contains(['/', ':']) && name.parse::<IpAddr>().is_err() {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(match (name.as_str(), 0u16).to_socket_addrs() {
            Ok(addrs) => {
                let mut seen = Vec::new();
                for a in addrs {
                    let ip = ip_address(a.ip());
                    if !seen.contains(&ip) {
                        seen.push(ip);
                    }
                }
                Ok(ResolveAddressStream(seen.into()))
            }
            Err(_) => Err(ErrorCode::NameUnresolvable),
        })
    }
}

impl<T: WasiView> tcp_create_socket::Host for T {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> Net<TcpSocket> {
        if !self.ctx().network {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        Ok(Ok(TcpSocket {
            family,
            state: TcpState::Unbound,
        }))
    }
}

impl<T: WasiView> udp_create_socket::Host for T {
    fn create_udp_socket(&mut self, _family: IpAddressFamily) -> Net<UdpSocket> {
        Ok(Err(if self.ctx().network {
            ErrorCode::NotSupported
        } else {
            ErrorCode::AccessDenied
        }))
    }
}

impl<T: WasiView> tcp::Host for T {
    fn tcp_socket_start_bind(
        _store: StoreContextMut<'_, Self>,
        _this: &mut TcpSocket,
        _network: Borrow<Network>,
        _local_address: IpSocketAddress,
    ) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_finish_bind(&mut self, _this: &mut TcpSocket) -> Net<()> {
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn tcp_socket_start_connect(
        _store: StoreContextMut<'_, Self>,
        this: &mut TcpSocket,
        _network: Borrow<Network>,
        remote_address: IpSocketAddress,
    ) -> Net<()> {
        if !matches!(this.state, TcpState::Unbound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let addr = from_wasi(&remote_address);
        let family_ok = matches!(
            (&this.family, addr),
            (IpAddressFamily::Ipv4, SocketAddr::V4(_)) | (IpAddressFamily::Ipv6, SocketAddr::V6(_))
        );
        if !family_ok || addr.port() == 0 || addr.ip().is_unspecified() || addr.ip().is_multicast()
        {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        this.state = TcpState::Connecting(TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT));
        Ok(Ok(()))
    }
    fn tcp_socket_finish_connect(
        &mut self,
        this: &mut TcpSocket,
    ) -> Net<(InputStream, OutputStream)> {
        let state = std::mem::replace(&mut this.state, TcpState::Closed);
        match state {
            TcpState::Connecting(Ok(stream)) => {
                if let Err(e) = stream.set_nonblocking(true) {
                    return Ok(Err(net_error(&e)));
                }
                let stream = Arc::new(stream);
                this.state = TcpState::Connected(stream.clone());
                Ok(Ok((
                    InputStream(In::Tcp(stream.clone())),
                    OutputStream(Out::Tcp(stream)),
                )))
            }
            TcpState::Connecting(Err(e)) => Ok(Err(net_error(&e))),
            other => {
                this.state = other;
                Ok(Err(ErrorCode::NotInProgress))
            }
        }
    }
    fn tcp_socket_start_listen(&mut self, _this: &mut TcpSocket) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_finish_listen(&mut self, _this: &mut TcpSocket) -> Net<()> {
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn tcp_socket_accept(
        &mut self,
        _this: &mut TcpSocket,
    ) -> Net<(TcpSocket, InputStream, OutputStream)> {
        Ok(Err(ErrorCode::InvalidState))
    }
    fn tcp_socket_local_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        Ok(this
            .connected()
            .and_then(|s| s.local_addr().map(to_wasi).map_err(|e| net_error(&e))))
    }
    fn tcp_socket_remote_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        Ok(this
            .connected()
            .and_then(|s| s.peer_addr().map(to_wasi).map_err(|e| net_error(&e))))
    }
    fn tcp_socket_is_listening(&mut self, _this: &mut TcpSocket) -> Result<bool> {
        Ok(false)
    }
    fn tcp_socket_address_family(&mut self, this: &mut TcpSocket) -> Result<IpAddressFamily> {
        Ok(this.family)
    }
    fn tcp_socket_set_listen_backlog_size(&mut self, _this: &mut TcpSocket, _v: u64) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_keep_alive_enabled(&mut self, _this: &mut TcpSocket) -> Net<bool> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_keep_alive_enabled(&mut self, _this: &mut TcpSocket, _v: bool) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_keep_alive_idle_time(&mut self, _this: &mut TcpSocket) -> Net<u64> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_keep_alive_idle_time(&mut self, _this: &mut TcpSocket, _v: u64) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_keep_alive_interval(&mut self, _this: &mut TcpSocket) -> Net<u64> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_keep_alive_interval(&mut self, _this: &mut TcpSocket, _v: u64) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_keep_alive_count(&mut self, _this: &mut TcpSocket) -> Net<u32> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_keep_alive_count(&mut self, _this: &mut TcpSocket, _v: u32) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_hop_limit(&mut self, this: &mut TcpSocket) -> Net<u8> {
        Ok(this
            .connected()
            .and_then(|s| s.ttl().map(|t| t.min(255) as u8).map_err(|e| net_error(&e))))
    }
    fn tcp_socket_set_hop_limit(&mut self, this: &mut TcpSocket, v: u8) -> Net<()> {
        if v == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(this
            .connected()
            .and_then(|s| s.set_ttl(u32::from(v)).map_err(|e| net_error(&e))))
    }
    fn tcp_socket_receive_buffer_size(&mut self, _this: &mut TcpSocket) -> Net<u64> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_receive_buffer_size(&mut self, _this: &mut TcpSocket, _v: u64) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_send_buffer_size(&mut self, _this: &mut TcpSocket) -> Net<u64> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_set_send_buffer_size(&mut self, _this: &mut TcpSocket, _v: u64) -> Net<()> {
        Ok(Err(ErrorCode::NotSupported))
    }
    fn tcp_socket_subscribe(&mut self, _this: &mut TcpSocket) -> Result<Pollable> {
        // `start-connect` completes the connection, so what the guest waits for is there.
        Ok(Pollable(Ready::Always))
    }
    fn tcp_socket_shutdown(&mut self, this: &mut TcpSocket, how: ShutdownType) -> Net<()> {
        let how = match how {
            ShutdownType::Receive => Shutdown::Read,
            ShutdownType::Send => Shutdown::Write,
            ShutdownType::Both => Shutdown::Both,
        };
        Ok(this
            .connected()
            .and_then(|s| s.shutdown(how).map_err(|e| net_error(&e))))
    }
}

impl<T: WasiView> udp::Host for T {
    fn udp_socket_start_bind(
        _store: StoreContextMut<'_, Self>,
        this: &mut UdpSocket,
        _network: Borrow<Network>,
        _local_address: IpSocketAddress,
    ) -> Net<()> {
        match *this {}
    }
    fn udp_socket_finish_bind(&mut self, this: &mut UdpSocket) -> Net<()> {
        match *this {}
    }
    fn udp_socket_stream(
        &mut self,
        this: &mut UdpSocket,
        _remote_address: Option<IpSocketAddress>,
    ) -> Net<(IncomingDatagramStream, OutgoingDatagramStream)> {
        match *this {}
    }
    fn udp_socket_local_address(&mut self, this: &mut UdpSocket) -> Net<IpSocketAddress> {
        match *this {}
    }
    fn udp_socket_remote_address(&mut self, this: &mut UdpSocket) -> Net<IpSocketAddress> {
        match *this {}
    }
    fn udp_socket_address_family(&mut self, this: &mut UdpSocket) -> Result<IpAddressFamily> {
        match *this {}
    }
    fn udp_socket_unicast_hop_limit(&mut self, this: &mut UdpSocket) -> Net<u8> {
        match *this {}
    }
    fn udp_socket_set_unicast_hop_limit(&mut self, this: &mut UdpSocket, _v: u8) -> Net<()> {
        match *this {}
    }
    fn udp_socket_receive_buffer_size(&mut self, this: &mut UdpSocket) -> Net<u64> {
        match *this {}
    }
    fn udp_socket_set_receive_buffer_size(&mut self, this: &mut UdpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn udp_socket_send_buffer_size(&mut self, this: &mut UdpSocket) -> Net<u64> {
        match *this {}
    }
    fn udp_socket_set_send_buffer_size(&mut self, this: &mut UdpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn udp_socket_subscribe(&mut self, this: &mut UdpSocket) -> Result<Pollable> {
        match *this {}
    }
    fn incoming_datagram_stream_receive(
        &mut self,
        this: &mut IncomingDatagramStream,
        _max_results: u64,
    ) -> Net<Vec<IncomingDatagram>> {
        match *this {}
    }
    fn incoming_datagram_stream_subscribe(
        &mut self,
        this: &mut IncomingDatagramStream,
    ) -> Result<Pollable> {
        match *this {}
    }
    fn outgoing_datagram_stream_check_send(
        &mut self,
        this: &mut OutgoingDatagramStream,
    ) -> Net<u64> {
        match *this {}
    }
    fn outgoing_datagram_stream_send(
        &mut self,
        this: &mut OutgoingDatagramStream,
        _datagrams: Vec<OutgoingDatagram>,
    ) -> Net<u64> {
        match *this {}
    }
    fn outgoing_datagram_stream_subscribe(
        &mut self,
        this: &mut OutgoingDatagramStream,
    ) -> Result<Pollable> {
        match *this {}
    }
}
