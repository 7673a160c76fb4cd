//! `wasi:sockets`: TCP and UDP over the host's network, denied unless the embedder grants it
//! ([`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network)): without it,
//! creating a socket and resolving a name return `access-denied`, so a guest reaches nothing.
//!
//! With it, a guest may resolve names, connect TCP sockets, bind TCP sockets, listen on them
//! and accept connections, and bind UDP sockets to send and receive datagrams, to and from
//! any address and port the host's OS allows it.
//!
//! Each `tcp-socket` and `udp-socket` is an OS socket from its creation on, non-blocking,
//! IPv6 ones `IPV6_V6ONLY`; the state machines and error codes are those of the WIT
//! (`wit/deps/wasi-0.2.12/sockets.wit`), and where it is silent, those of wasmtime-wasi:
//!
//! - TCP: `start-bind` binds (with `SO_REUSEADDR`, as the WIT asks) and `finish-bind`
//!   completes; `start-listen` checks the state and `finish-listen` listens, with the backlog
//!   of `set-listen-backlog-size` (128 unless set; set again on a listening socket with a
//!   second `listen`, `not-supported` where the OS refuses). `start-connect` starts a
//!   non-blocking `connect`; `finish-connect` returns `would-block` until the OS has made the
//!   connection, then its streams. `accept` never blocks (`would-block` when nothing is
//!   pending). The socket's pollable follows its state: it waits for the connection while
//!   connecting, for a connection to accept while listening, and for nothing otherwise.
//! - TCP options (keep-alive, its idle time, interval and count, hop limit, buffer sizes) are
//!   set on the OS socket, in any state but `closed`, clamped as wasmtime-wasi clamps them
//!   (keep-alive times to 1 s ..= 32767 s, the count to 1 ..= 127, buffers to
//!   1 ..= `i32::MAX`); Linux reports a buffer size twice what was set, which is halved back.
//!   An accepted socket gets the options set on its listener again (macOS does not pass them
//!   on by itself).
//! - UDP: `start-bind` binds; `stream` connects the socket to the remote address it is given
//!   (or dissolves a previous association with none) and returns the datagram streams, and
//!   traps while the streams of its previous call are alive. `receive` never blocks and
//!   returns at most [`MAX_RECEIVE`] datagrams a call; `check-send` permits
//!   [`SEND_PERMIT`] datagrams (0 after the socket was found full, until it is writable
//!   again), and `send` traps when not permitted so. The socket's pollable is always ready,
//!   an incoming stream's is ready when a datagram is there, an outgoing stream's when the
//!   socket is writable.
//!
//! Not provided: the unstable `wasi:sockets/network.network-error-code` (not in the world
//! this host implements), and any per-address policy: a granted network is the host's whole
//! network, as the OS lets the process use it.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketFlags, SocketType, ipproto, sockopt};
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
use crate::io::{In, InputStream, Out, OutputStream, Pollable, Ready, SocketWatch, socket_ready};

/// `wasi:sockets/network.network`: the guest's handle to the network, which grants nothing.
pub struct Network;

/// `wasi:sockets/tcp.tcp-socket`: an OS TCP socket, created only when the embedder granted
/// the network.
pub struct TcpSocket {
    family: IpAddressFamily,
    /// The OS socket, in every state: std's `TcpStream` only owns the descriptor until the
    /// socket is connected, when its reads and writes serve the streams. Shared with the
    /// streams and the pollables.
    socket: Arc<TcpStream>,
    /// What the socket's pollables wait for, set with each change of `state`.
    watch: Arc<SocketWatch>,
    state: TcpState,
    /// The backlog `finish-listen` listens with.
    backlog: i32,
    /// Options set on this socket, set again on the sockets it accepts.
    inherited: Inherited,
}

/// The states of the WIT's `tcp-socket`.
enum TcpState {
    Unbound,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    /// `start-connect` started a non-blocking `connect`, which the OS is making.
    Connecting,
    /// `start-connect`'s `connect` failed at once; `finish-connect` reports it.
    ConnectFailed(io::Error),
    /// Connected (by `finish-connect` or `accept`), its streams handed out.
    Connected,
    /// A connection failed or a listen failed: nothing is left to do but drop it.
    Closed,
}

/// Options of a listener that the sockets it accepts get too (wasmtime-wasi's list: what
/// macOS does not pass on by itself; Linux does, and setting them again changes nothing).
#[derive(Default, Clone, Copy)]
struct Inherited {
    receive_buffer: Option<usize>,
    send_buffer: Option<usize>,
    hop_limit: Option<u8>,
    keep_alive_idle: Option<Duration>,
}

/// `wasi:sockets/udp.udp-socket`: an OS UDP socket, created only when the embedder granted
/// the network.
pub struct UdpSocket {
    family: IpAddressFamily,
    /// The OS socket, shared with the datagram streams.
    socket: Arc<std::net::UdpSocket>,
    state: UdpState,
    /// Held by the streams the last `stream` returned: while more than this one is alive,
    /// they are.
    streams: Arc<()>,
}

/// The states of a `udp-socket`.
enum UdpState {
    Unbound,
    BindStarted,
    Bound,
    /// Bound, and connected to a remote address by `stream`.
    Connected,
}

/// `wasi:sockets/udp.incoming-datagram-stream`: datagrams received on a UDP socket.
pub struct IncomingDatagramStream {
    socket: Arc<std::net::UdpSocket>,
    /// The only address datagrams are taken from, when the socket is connected.
    remote: Option<SocketAddr>,
    _streams: Arc<()>,
}

/// `wasi:sockets/udp.outgoing-datagram-stream`: datagrams sent from a UDP socket.
pub struct OutgoingDatagramStream {
    socket: Arc<std::net::UdpSocket>,
    /// The address every datagram goes to, when the socket is connected.
    remote: Option<SocketAddr>,
    family: IpAddressFamily,
    send: SendState,
    _streams: Arc<()>,
}

/// What the last `check-send` permitted.
enum SendState {
    /// Nothing: `send` traps.
    Idle,
    /// `send` may take this many datagrams.
    Permitted(u64),
    /// A send found the socket full: `check-send` permits nothing until it is writable.
    Waiting,
}

/// `wasi:sockets/ip-name-lookup.resolve-address-stream`: the addresses a name resolved to.
pub struct ResolveAddressStream(VecDeque<IpAddress>);

/// The backlog of a listen when the guest set none (wasmtime-wasi's).
const DEFAULT_BACKLOG: i32 = 128;

/// How many datagrams `check-send` permits at a time (wasmtime-wasi's number). It bounds the
/// work of one `send`: a longer list traps before anything is sent.
const SEND_PERMIT: u64 = 16;

/// The most datagrams one `receive` returns, whatever `max-results` asks (the WIT lets it
/// return fewer): with [`MAX_DATAGRAM`] bytes each at most, one call copies at most 4 MiB.
/// wasi-libc asks for one at a time.
const MAX_RECEIVE: u64 = 64;

/// The largest UDP payload (the length field's limit); a datagram to send that is larger is
/// `datagram-too-large`, and one receive buffer of this size takes any datagram.
const MAX_DATAGRAM: usize = u16::MAX as usize;

/// Socket flags making a new descriptor non-blocking and closed on `exec` at once, where the
/// OS has them; Apple's systems lack them, and [`finish_fd`] sets both after.
#[cfg(not(target_vendor = "apple"))]
const FD_FLAGS: SocketFlags = SocketFlags::NONBLOCK.union(SocketFlags::CLOEXEC);
#[cfg(target_vendor = "apple")]
const FD_FLAGS: SocketFlags = SocketFlags::empty();

/// A new socket descriptor, made non-blocking and closed on `exec` where [`FD_FLAGS`] could
/// not.
fn finish_fd(fd: OwnedFd) -> rustix::io::Result<OwnedFd> {
    #[cfg(target_vendor = "apple")]
    {
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::ioctl_fionbio(&fd, true)?;
    }
    Ok(fd)
}

/// A new non-blocking OS socket of `family`, TCP or UDP; IPv6 ones take IPv6 only, as the
/// WIT says.
fn new_socket(family: IpAddressFamily, udp: bool) -> Result<OwnedFd, ErrorCode> {
    let af = match family {
        IpAddressFamily::Ipv4 => AddressFamily::INET,
        IpAddressFamily::Ipv6 => AddressFamily::INET6,
    };
    let (ty, protocol) = if udp {
        (SocketType::DGRAM, ipproto::UDP)
    } else {
        (SocketType::STREAM, ipproto::TCP)
    };
    let fd = rustix::net::socket_with(af, ty, FD_FLAGS, Some(protocol))
        .and_then(finish_fd)
        .map_err(errno_code)?;
    if family == IpAddressFamily::Ipv6 {
        sockopt::set_ipv6_v6only(&fd, true).map_err(errno_code)?;
    }
    Ok(fd)
}

/// The WASI error code of an OS error on a socket. Operations with errors of their own
/// (`accept`, `connect`, `bind`) map those first.
fn errno_code(e: Errno) -> ErrorCode {
    match e {
        Errno::PERM | Errno::ACCESS => ErrorCode::AccessDenied,
        Errno::ADDRINUSE => ErrorCode::AddressInUse,
        Errno::ADDRNOTAVAIL => ErrorCode::AddressNotBindable,
        Errno::TIMEDOUT => ErrorCode::Timeout,
        Errno::CONNREFUSED => ErrorCode::ConnectionRefused,
        Errno::CONNRESET => ErrorCode::ConnectionReset,
        Errno::CONNABORTED => ErrorCode::ConnectionAborted,
        Errno::INVAL => ErrorCode::InvalidArgument,
        Errno::HOSTUNREACH | Errno::HOSTDOWN | Errno::NETDOWN | Errno::NETUNREACH => {
            ErrorCode::RemoteUnreachable
        }
        #[cfg(target_os = "linux")]
        Errno::NONET => ErrorCode::RemoteUnreachable,
        Errno::ISCONN | Errno::NOTCONN | Errno::DESTADDRREQ => ErrorCode::InvalidState,
        Errno::MSGSIZE => ErrorCode::DatagramTooLarge,
        Errno::NOMEM | Errno::NOBUFS => ErrorCode::OutOfMemory,
        Errno::MFILE | Errno::NFILE => ErrorCode::NewSocketLimit,
        Errno::OPNOTSUPP
        | Errno::NOPROTOOPT
        | Errno::PFNOSUPPORT
        | Errno::PROTONOSUPPORT
        | Errno::PROTOTYPE
        | Errno::SOCKTNOSUPPORT
        | Errno::AFNOSUPPORT => ErrorCode::NotSupported,
        Errno::AGAIN => ErrorCode::WouldBlock,
        Errno::ALREADY => ErrorCode::ConcurrencyConflict,
        _ => ErrorCode::Unknown,
    }
}

/// The WASI error code of an I/O error on a socket.
fn net_error(e: &io::Error) -> ErrorCode {
    if let Some(errno) = Errno::from_io_error(e) {
        return errno_code(errno);
    }
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::ConnectionReset => ErrorCode::ConnectionReset,
        K::ConnectionAborted => ErrorCode::ConnectionAborted,
        K::TimedOut => ErrorCode::Timeout,
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => ErrorCode::RemoteUnreachable,
        K::AddrInUse => ErrorCode::AddressInUse,
        K::AddrNotAvailable => ErrorCode::AddressNotBindable,
        K::InvalidInput => ErrorCode::InvalidArgument,
        K::NotConnected => ErrorCode::InvalidState,
        K::PermissionDenied => ErrorCode::AccessDenied,
        K::WouldBlock => ErrorCode::WouldBlock,
        K::OutOfMemory => ErrorCode::OutOfMemory,
        K::Unsupported => ErrorCode::NotSupported,
        _ => ErrorCode::Unknown,
    }
}

/// The error code of a failed `bind`: the WIT's `invalid-argument` for an address of the
/// wrong family, which the checks before it should have caught.
fn bind_error(e: Errno) -> ErrorCode {
    match e {
        Errno::AFNOSUPPORT => ErrorCode::InvalidArgument,
        e => errno_code(e),
    }
}

/// The error code of a failed TCP `connect`: the WIT's `address-in-use` when no ephemeral
/// port was left for the implicit bind (`EADDRNOTAVAIL` on Linux, `EAGAIN` on BSDs).
fn connect_error(e: Errno) -> ErrorCode {
    match e {
        Errno::ADDRNOTAVAIL | Errno::AGAIN => ErrorCode::AddressInUse,
        Errno::AFNOSUPPORT => ErrorCode::InvalidArgument,
        e => errno_code(e),
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
            let ip = Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7);
            SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                a.port,
                a.flow_info,
                a.scope_id,
            ))
        }
    }
}

/// Whether `ip` suits a socket of `family`. An IPv6 socket refuses IPv4-mapped addresses
/// (the WIT says so) and the deprecated IPv4-compatible ones (as wasmtime-wasi does).
fn family_matches(family: IpAddressFamily, ip: IpAddr) -> bool {
    match (family, ip) {
        (IpAddressFamily::Ipv4, IpAddr::V4(_)) => true,
        (IpAddressFamily::Ipv6, IpAddr::V6(ip)) => {
            let compatible = matches!(ip.segments(), [0, 0, 0, 0, 0, 0, _, _])
                && ip != Ipv6Addr::UNSPECIFIED
                && ip != Ipv6Addr::LOCALHOST;
            ip.to_ipv4_mapped().is_none() && !compatible
        }
        _ => false,
    }
}

/// Whether `ip` is neither multicast nor broadcast.
fn is_unicast(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(ip) => !ip.is_multicast() && !ip.is_broadcast(),
        IpAddr::V6(ip) => !ip.is_multicast(),
    }
}

/// Whether `addr` can be sent to or connected to: a port, and an address other than
/// `0.0.0.0` or `::`.
fn is_remote(addr: SocketAddr) -> bool {
    !addr.ip().to_canonical().is_unspecified() && addr.port() != 0
}

/// The hop limit (TTL) of a socket of `family`.
fn hop_limit(fd: impl AsFd, family: IpAddressFamily) -> Result<u8, ErrorCode> {
    match family {
        IpAddressFamily::Ipv4 => {
            let ttl = sockopt::ip_ttl(fd).map_err(errno_code)?;
            u8::try_from(ttl).map_err(|_| ErrorCode::NotSupported)
        }
        IpAddressFamily::Ipv6 => sockopt::ipv6_unicast_hops(fd).map_err(errno_code),
    }
}

/// Sets the hop limit (TTL); 0 is `invalid-argument`, as the WIT says.
fn set_hop_limit(fd: impl AsFd, family: IpAddressFamily, value: u8) -> Result<(), ErrorCode> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    match family {
        IpAddressFamily::Ipv4 => sockopt::set_ip_ttl(fd, u32::from(value)),
        IpAddressFamily::Ipv6 => sockopt::set_ipv6_unicast_hops(fd, Some(value)),
    }
    .map_err(errno_code)
}

/// A buffer size as the OS reports it, brought back to what was set: Linux doubles the value
/// given to `SO_RCVBUF`/`SO_SNDBUF` for its bookkeeping and reports the double.
fn reported_buffer_size(value: usize) -> u64 {
    let value = if cfg!(target_os = "linux") {
        value / 2
    } else {
        value
    };
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Sets a buffer size (receive or send): 0 is `invalid-argument`; any other value is clamped
/// to `1..=i32::MAX`, and an OS refusing a large value (`ENOBUFS` on BSDs) is not an error, as
/// the WIT lets values be clamped. Returns the value set.
fn set_buffer_size(
    fd: impl AsFd,
    value: u64,
    set: fn(rustix::fd::BorrowedFd<'_>, usize) -> rustix::io::Result<()>,
) -> Result<usize, ErrorCode> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let value = usize::try_from(value)
        .unwrap_or(usize::MAX)
        .clamp(1, i32::MAX as usize);
    match set(fd.as_fd(), value) {
        Ok(()) | Err(Errno::NOBUFS) => Ok(value),
        Err(e) => Err(errno_code(e)),
    }
}

fn set_receive_buffer(fd: rustix::fd::BorrowedFd<'_>, value: usize) -> rustix::io::Result<()> {
    sockopt::set_socket_recv_buffer_size(fd, value)
}

fn set_send_buffer(fd: rustix::fd::BorrowedFd<'_>, value: usize) -> rustix::io::Result<()> {
    sockopt::set_socket_send_buffer_size(fd, value)
}

/// A keep-alive time in nanoseconds as the OS takes it: 0 is `invalid-argument`; others are
/// clamped to whole seconds in `1..=32767` (Linux's limit, the lowest among the OSes).
fn keep_alive_time(nanos: u64) -> Result<Duration, ErrorCode> {
    if nanos == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let secs = Duration::from_nanos(nanos)
        .as_secs()
        .clamp(1, i16::MAX as u64);
    Ok(Duration::from_secs(secs))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Inherited {
    /// Sets the options on a socket `accept` returned; a failure leaves the OS's value.
    fn apply(&self, family: IpAddressFamily, socket: &TcpStream) {
        if let Some(size) = self.receive_buffer {
            let _ = sockopt::set_socket_recv_buffer_size(socket, size);
        }
        if let Some(size) = self.send_buffer {
            let _ = sockopt::set_socket_send_buffer_size(socket, size);
        }
        if let Some(hops) = self.hop_limit {
            let _ = set_hop_limit(socket, family, hops);
        }
        if let Some(idle) = self.keep_alive_idle {
            let _ = sockopt::set_tcp_keepidle(socket, idle);
        }
    }
}

impl TcpSocket {
    fn new(family: IpAddressFamily, fd: OwnedFd, state: TcpState) -> TcpSocket {
        let socket = Arc::new(TcpStream::from(fd));
        let watch = SocketWatch::new(socket.clone());
        let mut this = TcpSocket {
            family,
            socket,
            watch,
            state: TcpState::Unbound,
            backlog: DEFAULT_BACKLOG,
            inherited: Inherited::default(),
        };
        this.set_state(state);
        this
    }

    /// Moves to `state`, and points the pollables at what it waits for.
    fn set_state(&mut self, state: TcpState) {
        self.watch.wait_for(match state {
            TcpState::Listening => Some(false),
            TcpState::Connecting => Some(true),
            _ => None,
        });
        self.state = state;
    }

    /// The OS socket, for its options: `invalid-state` once the socket is closed.
    fn fd(&self) -> Result<&TcpStream, ErrorCode> {
        match self.state {
            TcpState::Closed | TcpState::ConnectFailed(_) => Err(ErrorCode::InvalidState),
            _ => Ok(&self.socket),
        }
    }

    fn connected(&self) -> Result<&TcpStream, ErrorCode> {
        match self.state {
            TcpState::Connected => Ok(&self.socket),
            _ => Err(ErrorCode::InvalidState),
        }
    }

    /// The streams of a connected socket.
    fn streams(&self) -> (InputStream, OutputStream) {
        (
            InputStream(In::Tcp(self.socket.clone())),
            OutputStream(Out::Tcp(self.socket.clone())),
        )
    }

    fn finish_connect(&mut self) -> Result<(InputStream, OutputStream), ErrorCode> {
        let outcome = match &self.state {
            TcpState::Connecting => {
                let writable = socket_ready(&[(self.socket.as_fd(), true)], Some(Duration::ZERO));
                if !writable[0] {
                    return Err(ErrorCode::WouldBlock);
                }
                match sockopt::socket_error(&*self.socket) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) | Err(e) => Err(connect_error(e)),
                }
            }
            TcpState::ConnectFailed(e) => Err(Errno::from_io_error(e)
                .map(connect_error)
                .unwrap_or_else(|| net_error(e))),
            _ => return Err(ErrorCode::NotInProgress),
        };
        match outcome {
            Ok(()) => {
                self.set_state(TcpState::Connected);
                Ok(self.streams())
            }
            Err(e) => {
                // The WIT: after a failed connection, the only thing left is to drop it.
                self.set_state(TcpState::Closed);
                Err(e)
            }
        }
    }

    fn accept(&mut self) -> Result<(TcpSocket, InputStream, OutputStream), ErrorCode> {
        if !matches!(self.state, TcpState::Listening) {
            return Err(ErrorCode::InvalidState);
        }
        let fd = loop {
            match rustix::net::accept_with(&*self.socket, FD_FLAGS).and_then(finish_fd) {
                Ok(fd) => break fd,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return Err(ErrorCode::WouldBlock),
                // Linux reports on `accept` an error already pending on the new connection,
                // where other systems accept it: such a connection was aborted.
                #[cfg(target_os = "linux")]
                Err(
                    Errno::CONNRESET
                    | Errno::NETRESET
                    | Errno::HOSTUNREACH
                    | Errno::HOSTDOWN
                    | Errno::NETDOWN
                    | Errno::NETUNREACH
                    | Errno::PROTO
                    | Errno::NOPROTOOPT
                    | Errno::NONET
                    | Errno::OPNOTSUPP,
                ) => return Err(ErrorCode::ConnectionAborted),
                Err(e) => return Err(errno_code(e)),
            }
        };
        let socket = TcpSocket::new(self.family, fd, TcpState::Connected);
        self.inherited.apply(self.family, &socket.socket);
        let (input, output) = socket.streams();
        Ok((socket, input, output))
    }
}

impl UdpSocket {
    fn is_bound(&self) -> bool {
        matches!(self.state, UdpState::Bound | UdpState::Connected)
    }

    /// Dissolves the association with a remote address, if there is one.
    fn disconnect(&mut self) -> Result<(), ErrorCode> {
        if let UdpState::Connected = self.state {
            match rustix::net::connect_unspec(&*self.socket) {
                Ok(()) => {}
                // BSDs report an error on dissolving an association, which they still do.
                #[cfg(target_vendor = "apple")]
                Err(Errno::INVAL | Errno::AFNOSUPPORT) => {}
                Err(e) => return Err(errno_code(e)),
            }
            self.state = UdpState::Bound;
        }
        Ok(())
    }

    fn connect(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        let r = match rustix::net::connect(&*self.socket, &addr) {
            // Linux may refuse to change the association to a route through another
            // interface without a disconnect in between.
            #[cfg(target_os = "linux")]
            Err(Errno::INVAL) => {
                let _ = rustix::net::connect_unspec(&*self.socket);
                rustix::net::connect(&*self.socket, &addr)
            }
            r => r,
        };
        match r {
            Ok(()) => {
                self.state = UdpState::Connected;
                Ok(())
            }
            Err(Errno::AFNOSUPPORT) => Err(ErrorCode::InvalidArgument),
            Err(e) => Err(errno_code(e)),
        }
    }
}

impl IncomingDatagramStream {
    fn receive(&self, max_results: u64) -> Result<Vec<IncomingDatagram>, ErrorCode> {
        let max = max_results.min(MAX_RECEIVE) as usize;
        let mut datagrams = Vec::new();
        if max == 0 {
            return Ok(datagrams);
        }
        let mut buf = vec![0u8; MAX_DATAGRAM];
        // Datagrams from another address than the connected one are dropped (the OS does
        // that already); a bounded number of tries keeps a flood of them from holding the
        // call.
        for _ in 0..2 * MAX_RECEIVE {
            if datagrams.len() >= max {
                break;
            }
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if self.remote.is_some_and(|remote| remote != from) {
                        continue;
                    }
                    datagrams.push(IncomingDatagram {
                        data: buf[..n].to_vec(),
                        remote_address: to_wasi(from),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // What was received is returned; the error comes again with the next call.
                Err(_) if !datagrams.is_empty() => break,
                Err(e) => return Err(net_error(&e)),
            }
        }
        Ok(datagrams)
    }
}

impl OutgoingDatagramStream {
    fn check_send(&mut self) -> u64 {
        match self.send {
            SendState::Permitted(n) => n,
            SendState::Waiting
                if !socket_ready(&[(self.socket.as_fd(), true)], Some(Duration::ZERO))[0] =>
            {
                0
            }
            SendState::Idle | SendState::Waiting => {
                self.send = SendState::Permitted(SEND_PERMIT);
                SEND_PERMIT
            }
        }
    }

    /// Sends one datagram, or says why not.
    fn send_one(&self, datagram: &OutgoingDatagram) -> Result<(), ErrorCode> {
        if datagram.data.len() > MAX_DATAGRAM {
            return Err(ErrorCode::DatagramTooLarge);
        }
        let given = datagram.remote_address.as_ref().map(from_wasi);
        let addr = match (self.remote, given) {
            (None, Some(addr)) => addr,
            (Some(remote), None) => remote,
            (Some(remote), Some(addr)) if remote == addr => remote,
            // Not connected and no address, or another address than the connected one.
            _ => return Err(ErrorCode::InvalidArgument),
        };
        if !is_remote(addr) || !family_matches(self.family, addr.ip()) {
            return Err(ErrorCode::InvalidArgument);
        }
        loop {
            let sent = if self.remote.is_some() {
                self.socket.send(&datagram.data)
            } else {
                self.socket.send_to(&datagram.data, addr)
            };
            match sent {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(net_error(&e)),
            }
        }
    }

    fn send(&mut self, datagrams: &[OutgoingDatagram]) -> Result<Result<u64, ErrorCode>> {
        let len = datagrams.len() as u64;
        match self.send {
            SendState::Permitted(n) if len <= n => self.send = SendState::Idle,
            SendState::Permitted(n) => bail!(
                "outgoing-datagram-stream.send: {len} datagrams, more than the {n} that `check-send` permitted"
            ),
            SendState::Idle | SendState::Waiting => {
                bail!("outgoing-datagram-stream.send: not permitted by a `check-send` before it")
            }
        }
        let mut sent = 0;
        for datagram in datagrams {
            match self.send_one(datagram) {
                Ok(()) => sent += 1,
                Err(ErrorCode::WouldBlock) => {
                    self.send = SendState::Waiting;
                    break;
                }
                // The WIT: once one datagram is sent, `send` returns how many were.
                Err(_) if sent > 0 => break,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(sent))
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
        Ok(new_socket(family, false).map(|fd| TcpSocket::new(family, fd, TcpState::Unbound)))
    }
}

impl<T: WasiView> udp_create_socket::Host for T {
    fn create_udp_socket(&mut self, family: IpAddressFamily) -> Net<UdpSocket> {
        if !self.ctx().network {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        Ok(new_socket(family, true).map(|fd| UdpSocket {
            family,
            socket: Arc::new(std::net::UdpSocket::from(fd)),
            state: UdpState::Unbound,
            streams: Arc::new(()),
        }))
    }
}

impl<T: WasiView> tcp::Host for T {
    fn tcp_socket_start_bind(
        _store: StoreContextMut<'_, Self>,
        this: &mut TcpSocket,
        _network: Borrow<Network>,
        local_address: IpSocketAddress,
    ) -> Net<()> {
        let addr = from_wasi(&local_address);
        if !is_unicast(addr.ip()) || !family_matches(this.family, addr.ip()) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        if !matches!(this.state, TcpState::Unbound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        // The WIT: a bind is not to be hindered by an earlier socket's TIME_WAIT.
        let _ = sockopt::set_socket_reuseaddr(&*this.socket, true);
        // A failed bind leaves the socket unbound, to be bound again.
        Ok(match rustix::net::bind(&*this.socket, &addr) {
            Ok(()) => {
                this.set_state(TcpState::BindStarted);
                Ok(())
            }
            Err(e) => Err(bind_error(e)),
        })
    }
    fn tcp_socket_finish_bind(&mut self, this: &mut TcpSocket) -> Net<()> {
        if !matches!(this.state, TcpState::BindStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        this.set_state(TcpState::Bound);
        Ok(Ok(()))
    }
    fn tcp_socket_start_connect(
        _store: StoreContextMut<'_, Self>,
        this: &mut TcpSocket,
        _network: Borrow<Network>,
        remote_address: IpSocketAddress,
    ) -> Net<()> {
        match this.state {
            TcpState::Unbound | TcpState::Bound => {}
            TcpState::Connecting | TcpState::ConnectFailed(_) => {
                return Ok(Err(ErrorCode::ConcurrencyConflict));
            }
            _ => return Ok(Err(ErrorCode::InvalidState)),
        }
        let addr = from_wasi(&remote_address);
        if !is_unicast(addr.ip()) || !is_remote(addr) || !family_matches(this.family, addr.ip()) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let state = match rustix::net::connect(&*this.socket, &addr) {
            // A non-blocking connect goes on after `EINTR` too.
            Ok(()) | Err(Errno::INPROGRESS | Errno::INTR) => TcpState::Connecting,
            // Reported by `finish-connect`, as when the OS fails the connection later.
            Err(e) => TcpState::ConnectFailed(e.into()),
        };
        this.set_state(state);
        Ok(Ok(()))
    }
    fn tcp_socket_finish_connect(
        &mut self,
        this: &mut TcpSocket,
    ) -> Net<(InputStream, OutputStream)> {
        Ok(this.finish_connect())
    }
    fn tcp_socket_start_listen(&mut self, this: &mut TcpSocket) -> Net<()> {
        if !matches!(this.state, TcpState::Bound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        this.set_state(TcpState::ListenStarted);
        Ok(Ok(()))
    }
    fn tcp_socket_finish_listen(&mut self, this: &mut TcpSocket) -> Net<()> {
        if !matches!(this.state, TcpState::ListenStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        Ok(match rustix::net::listen(&*this.socket, this.backlog) {
            Ok(()) => {
                this.set_state(TcpState::Listening);
                Ok(())
            }
            Err(e) => {
                this.set_state(TcpState::Closed);
                Err(errno_code(e))
            }
        })
    }
    fn tcp_socket_accept(
        &mut self,
        this: &mut TcpSocket,
    ) -> Net<(TcpSocket, InputStream, OutputStream)> {
        Ok(this.accept())
    }
    fn tcp_socket_local_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        // The WIT's "bound": bound, or anything past it.
        Ok(match this.state {
            TcpState::Bound
            | TcpState::ListenStarted
            | TcpState::Listening
            | TcpState::Connecting
            | TcpState::Connected => this
                .socket
                .local_addr()
                .map(to_wasi)
                .map_err(|e| net_error(&e)),
            _ => Err(ErrorCode::InvalidState),
        })
    }
    fn tcp_socket_remote_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        Ok(this
            .connected()
            .and_then(|s| s.peer_addr().map(to_wasi).map_err(|e| net_error(&e))))
    }
    fn tcp_socket_is_listening(&mut self, this: &mut TcpSocket) -> Result<bool> {
        Ok(matches!(this.state, TcpState::Listening))
    }
    fn tcp_socket_address_family(&mut self, this: &mut TcpSocket) -> Result<IpAddressFamily> {
        Ok(this.family)
    }
    fn tcp_socket_set_listen_backlog_size(&mut self, this: &mut TcpSocket, v: u64) -> Net<()> {
        if v == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        // Clamped, as the OS clamps it further.
        let backlog = i32::try_from(v).unwrap_or(i32::MAX);
        Ok(match this.state {
            TcpState::Unbound
            | TcpState::BindStarted
            | TcpState::Bound
            | TcpState::ListenStarted => {
                this.backlog = backlog;
                Ok(())
            }
            // A second `listen` changes the backlog where the OS allows it.
            TcpState::Listening => match rustix::net::listen(&*this.socket, backlog) {
                Ok(()) => {
                    this.backlog = backlog;
                    Ok(())
                }
                Err(_) => Err(ErrorCode::NotSupported),
            },
            _ => Err(ErrorCode::InvalidState),
        })
    }
    fn tcp_socket_keep_alive_enabled(&mut self, this: &mut TcpSocket) -> Net<bool> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::socket_keepalive(s).map_err(errno_code)))
    }
    fn tcp_socket_set_keep_alive_enabled(&mut self, this: &mut TcpSocket, v: bool) -> Net<()> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::set_socket_keepalive(s, v).map_err(errno_code)))
    }
    fn tcp_socket_keep_alive_idle_time(&mut self, this: &mut TcpSocket) -> Net<u64> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::tcp_keepidle(s).map(nanos).map_err(errno_code)))
    }
    fn tcp_socket_set_keep_alive_idle_time(&mut self, this: &mut TcpSocket, v: u64) -> Net<()> {
        let set = this.fd().and_then(|s| {
            let idle = keep_alive_time(v)?;
            sockopt::set_tcp_keepidle(s, idle).map_err(errno_code)?;
            Ok(idle)
        });
        Ok(set.map(|idle| this.inherited.keep_alive_idle = Some(idle)))
    }
    fn tcp_socket_keep_alive_interval(&mut self, this: &mut TcpSocket) -> Net<u64> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::tcp_keepintvl(s).map(nanos).map_err(errno_code)))
    }
    fn tcp_socket_set_keep_alive_interval(&mut self, this: &mut TcpSocket, v: u64) -> Net<()> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::set_tcp_keepintvl(s, keep_alive_time(v)?).map_err(errno_code)))
    }
    fn tcp_socket_keep_alive_count(&mut self, this: &mut TcpSocket) -> Net<u32> {
        Ok(this
            .fd()
            .and_then(|s| sockopt::tcp_keepcnt(s).map_err(errno_code)))
    }
    fn tcp_socket_set_keep_alive_count(&mut self, this: &mut TcpSocket, v: u32) -> Net<()> {
        if v == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        // Clamped to Linux's limit, the lowest among the OSes.
        Ok(this.fd().and_then(|s| {
            sockopt::set_tcp_keepcnt(s, v.clamp(1, i8::MAX as u32)).map_err(errno_code)
        }))
    }
    fn tcp_socket_hop_limit(&mut self, this: &mut TcpSocket) -> Net<u8> {
        Ok(this.fd().and_then(|s| hop_limit(s, this.family)))
    }
    fn tcp_socket_set_hop_limit(&mut self, this: &mut TcpSocket, v: u8) -> Net<()> {
        let set = this.fd().and_then(|s| set_hop_limit(s, this.family, v));
        Ok(set.map(|()| this.inherited.hop_limit = Some(v)))
    }
    fn tcp_socket_receive_buffer_size(&mut self, this: &mut TcpSocket) -> Net<u64> {
        Ok(this.fd().and_then(|s| {
            sockopt::socket_recv_buffer_size(s)
                .map(reported_buffer_size)
                .map_err(errno_code)
        }))
    }
    fn tcp_socket_set_receive_buffer_size(&mut self, this: &mut TcpSocket, v: u64) -> Net<()> {
        let set = this
            .fd()
            .and_then(|s| set_buffer_size(s, v, set_receive_buffer));
        Ok(set.map(|size| this.inherited.receive_buffer = Some(size)))
    }
    fn tcp_socket_send_buffer_size(&mut self, this: &mut TcpSocket) -> Net<u64> {
        Ok(this.fd().and_then(|s| {
            sockopt::socket_send_buffer_size(s)
                .map(reported_buffer_size)
                .map_err(errno_code)
        }))
    }
    fn tcp_socket_set_send_buffer_size(&mut self, this: &mut TcpSocket, v: u64) -> Net<()> {
        let set = this
            .fd()
            .and_then(|s| set_buffer_size(s, v, set_send_buffer));
        Ok(set.map(|size| this.inherited.send_buffer = Some(size)))
    }
    fn tcp_socket_subscribe(&mut self, this: &mut TcpSocket) -> Result<Pollable> {
        Ok(Pollable(Ready::Watch(this.watch.clone())))
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
        local_address: IpSocketAddress,
    ) -> Net<()> {
        if !matches!(this.state, UdpState::Unbound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let addr = from_wasi(&local_address);
        if !family_matches(this.family, addr.ip()) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(match rustix::net::bind(&*this.socket, &addr) {
            Ok(()) => {
                this.state = UdpState::BindStarted;
                Ok(())
            }
            Err(e) => Err(bind_error(e)),
        })
    }
    fn udp_socket_finish_bind(&mut self, this: &mut UdpSocket) -> Net<()> {
        if !matches!(this.state, UdpState::BindStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        this.state = UdpState::Bound;
        Ok(Ok(()))
    }
    fn udp_socket_stream(
        &mut self,
        this: &mut UdpSocket,
        remote_address: Option<IpSocketAddress>,
    ) -> Net<(IncomingDatagramStream, OutgoingDatagramStream)> {
        // The WIT lets this trap: only the last pair of streams would work.
        if Arc::strong_count(&this.streams) > 1 {
            bail!("udp-socket.stream: the streams of the previous call are not dropped yet");
        }
        if !this.is_bound() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let remote = remote_address.as_ref().map(from_wasi);
        if let Some(addr) = remote
            && (!is_remote(addr) || !family_matches(this.family, addr.ip()))
        {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        if let Err(e) = this.disconnect() {
            return Ok(Err(e));
        }
        if let Some(addr) = remote
            && let Err(e) = this.connect(addr)
        {
            return Ok(Err(e));
        }
        Ok(Ok((
            IncomingDatagramStream {
                socket: this.socket.clone(),
                remote,
                _streams: this.streams.clone(),
            },
            OutgoingDatagramStream {
                socket: this.socket.clone(),
                remote,
                family: this.family,
                send: SendState::Idle,
                _streams: this.streams.clone(),
            },
        )))
    }
    fn udp_socket_local_address(&mut self, this: &mut UdpSocket) -> Net<IpSocketAddress> {
        if !this.is_bound() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(this
            .socket
            .local_addr()
            .map(to_wasi)
            .map_err(|e| net_error(&e)))
    }
    fn udp_socket_remote_address(&mut self, this: &mut UdpSocket) -> Net<IpSocketAddress> {
        if !matches!(this.state, UdpState::Connected) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(this
            .socket
            .peer_addr()
            .map(to_wasi)
            .map_err(|e| net_error(&e)))
    }
    fn udp_socket_address_family(&mut self, this: &mut UdpSocket) -> Result<IpAddressFamily> {
        Ok(this.family)
    }
    fn udp_socket_unicast_hop_limit(&mut self, this: &mut UdpSocket) -> Net<u8> {
        Ok(hop_limit(&*this.socket, this.family))
    }
    fn udp_socket_set_unicast_hop_limit(&mut self, this: &mut UdpSocket, v: u8) -> Net<()> {
        Ok(set_hop_limit(&*this.socket, this.family, v))
    }
    fn udp_socket_receive_buffer_size(&mut self, this: &mut UdpSocket) -> Net<u64> {
        Ok(sockopt::socket_recv_buffer_size(&*this.socket)
            .map(reported_buffer_size)
            .map_err(errno_code))
    }
    fn udp_socket_set_receive_buffer_size(&mut self, this: &mut UdpSocket, v: u64) -> Net<()> {
        Ok(set_buffer_size(&*this.socket, v, set_receive_buffer).map(|_| ()))
    }
    fn udp_socket_send_buffer_size(&mut self, this: &mut UdpSocket) -> Net<u64> {
        Ok(sockopt::socket_send_buffer_size(&*this.socket)
            .map(reported_buffer_size)
            .map_err(errno_code))
    }
    fn udp_socket_set_send_buffer_size(&mut self, this: &mut UdpSocket, v: u64) -> Net<()> {
        Ok(set_buffer_size(&*this.socket, v, set_send_buffer).map(|_| ()))
    }
    fn udp_socket_subscribe(&mut self, _this: &mut UdpSocket) -> Result<Pollable> {
        // No operation of the socket itself waits: bind and `stream` finish at once.
        Ok(Pollable(Ready::Always))
    }
    fn incoming_datagram_stream_receive(
        &mut self,
        this: &mut IncomingDatagramStream,
        max_results: u64,
    ) -> Net<Vec<IncomingDatagram>> {
        Ok(this.receive(max_results))
    }
    fn incoming_datagram_stream_subscribe(
        &mut self,
        this: &mut IncomingDatagramStream,
    ) -> Result<Pollable> {
        Ok(Pollable(Ready::Socket(this.socket.clone(), false)))
    }
    fn outgoing_datagram_stream_check_send(
        &mut self,
        this: &mut OutgoingDatagramStream,
    ) -> Net<u64> {
        Ok(Ok(this.check_send()))
    }
    fn outgoing_datagram_stream_send(
        &mut self,
        this: &mut OutgoingDatagramStream,
        datagrams: Vec<OutgoingDatagram>,
    ) -> Net<u64> {
        this.send(&datagrams)
    }
    fn outgoing_datagram_stream_subscribe(
        &mut self,
        this: &mut OutgoingDatagramStream,
    ) -> Result<Pollable> {
        Ok(Pollable(Ready::Socket(this.socket.clone(), true)))
    }
}
