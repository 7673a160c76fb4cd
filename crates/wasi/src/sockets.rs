//! `wasi:sockets`, present so that components importing it instantiate, and denying: a
//! socket cannot be created and a name cannot be resolved (`access-denied`). The socket
//! types have no values, so their methods can never be called.

use anyhow::Result;
use tether::{Borrow, StoreContextMut};

use crate::WasiView;
use crate::bindings::wasi::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress,
};
use crate::bindings::wasi::sockets::tcp::ShutdownType;
use crate::bindings::wasi::sockets::udp::{IncomingDatagram, OutgoingDatagram};
use crate::bindings::wasi::sockets::{
    instance_network, ip_name_lookup, network, tcp, tcp_create_socket, udp, udp_create_socket,
};
use crate::io::{InputStream, OutputStream, Pollable};

/// `wasi:sockets/network.network`: the guest's handle to the network, which grants nothing.
pub struct Network;

/// `wasi:sockets/tcp.tcp-socket`: never created.
pub enum TcpSocket {}

/// `wasi:sockets/udp.udp-socket`: never created.
pub enum UdpSocket {}

/// `wasi:sockets/udp.incoming-datagram-stream`: never created.
pub enum IncomingDatagramStream {}

/// `wasi:sockets/udp.outgoing-datagram-stream`: never created.
pub enum OutgoingDatagramStream {}

/// `wasi:sockets/ip-name-lookup.resolve-address-stream`: never created.
pub enum ResolveAddressStream {}

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
        match *this {}
    }

    fn resolve_address_stream_subscribe(
        &mut self,
        this: &mut ResolveAddressStream,
    ) -> Result<Pollable> {
        match *this {}
    }

    fn resolve_addresses(
        &mut self,
        _network: &mut Network,
        _name: String,
    ) -> Net<ResolveAddressStream> {
        Ok(Err(ErrorCode::AccessDenied))
    }
}

impl<T: WasiView> tcp_create_socket::Host for T {
    fn create_tcp_socket(&mut self, _family: IpAddressFamily) -> Net<TcpSocket> {
        Ok(Err(ErrorCode::AccessDenied))
    }
}

impl<T: WasiView> udp_create_socket::Host for T {
    fn create_udp_socket(&mut self, _family: IpAddressFamily) -> Net<UdpSocket> {
        Ok(Err(ErrorCode::AccessDenied))
    }
}

impl<T: WasiView> tcp::Host for T {
    fn tcp_socket_start_bind(
        _store: StoreContextMut<'_, Self>,
        this: &mut TcpSocket,
        _network: Borrow<Network>,
        _local_address: IpSocketAddress,
    ) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_finish_bind(&mut self, this: &mut TcpSocket) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_start_connect(
        _store: StoreContextMut<'_, Self>,
        this: &mut TcpSocket,
        _network: Borrow<Network>,
        _remote_address: IpSocketAddress,
    ) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_finish_connect(
        &mut self,
        this: &mut TcpSocket,
    ) -> Net<(InputStream, OutputStream)> {
        match *this {}
    }
    fn tcp_socket_start_listen(&mut self, this: &mut TcpSocket) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_finish_listen(&mut self, this: &mut TcpSocket) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_accept(
        &mut self,
        this: &mut TcpSocket,
    ) -> Net<(TcpSocket, InputStream, OutputStream)> {
        match *this {}
    }
    fn tcp_socket_local_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        match *this {}
    }
    fn tcp_socket_remote_address(&mut self, this: &mut TcpSocket) -> Net<IpSocketAddress> {
        match *this {}
    }
    fn tcp_socket_is_listening(&mut self, this: &mut TcpSocket) -> Result<bool> {
        match *this {}
    }
    fn tcp_socket_address_family(&mut self, this: &mut TcpSocket) -> Result<IpAddressFamily> {
        match *this {}
    }
    fn tcp_socket_set_listen_backlog_size(&mut self, this: &mut TcpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_keep_alive_enabled(&mut self, this: &mut TcpSocket) -> Net<bool> {
        match *this {}
    }
    fn tcp_socket_set_keep_alive_enabled(&mut self, this: &mut TcpSocket, _v: bool) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_keep_alive_idle_time(&mut self, this: &mut TcpSocket) -> Net<u64> {
        match *this {}
    }
    fn tcp_socket_set_keep_alive_idle_time(&mut self, this: &mut TcpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_keep_alive_interval(&mut self, this: &mut TcpSocket) -> Net<u64> {
        match *this {}
    }
    fn tcp_socket_set_keep_alive_interval(&mut self, this: &mut TcpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_keep_alive_count(&mut self, this: &mut TcpSocket) -> Net<u32> {
        match *this {}
    }
    fn tcp_socket_set_keep_alive_count(&mut self, this: &mut TcpSocket, _v: u32) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_hop_limit(&mut self, this: &mut TcpSocket) -> Net<u8> {
        match *this {}
    }
    fn tcp_socket_set_hop_limit(&mut self, this: &mut TcpSocket, _v: u8) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_receive_buffer_size(&mut self, this: &mut TcpSocket) -> Net<u64> {
        match *this {}
    }
    fn tcp_socket_set_receive_buffer_size(&mut self, this: &mut TcpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_send_buffer_size(&mut self, this: &mut TcpSocket) -> Net<u64> {
        match *this {}
    }
    fn tcp_socket_set_send_buffer_size(&mut self, this: &mut TcpSocket, _v: u64) -> Net<()> {
        match *this {}
    }
    fn tcp_socket_subscribe(&mut self, this: &mut TcpSocket) -> Result<Pollable> {
        match *this {}
    }
    fn tcp_socket_shutdown(&mut self, this: &mut TcpSocket, _how: ShutdownType) -> Net<()> {
        match *this {}
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
