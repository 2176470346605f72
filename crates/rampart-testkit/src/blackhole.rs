//! A loopback port that drops connection attempts, as a NetworkPolicy does.

use socket2::{Domain, Socket, Type};
use std::net::{SocketAddr, TcpStream};

/// A listener with a backlog of 0 whose one slot holds a connection nobody accepts: Linux
/// then drops every further SYN (`net.ipv4.tcp_abort_on_overflow` is 0 by default), so a
/// client hears nothing until its timeout. (Addresses outside the machine are no stand-in:
/// a test machine may have no route at all, or a gateway that answers for every address.)
/// The port drops for as long as the value lives.
pub struct Blackhole {
    _listener: Socket,
    _filler: TcpStream,
    /// The port on 127.0.0.1.
    pub port: u16,
}

impl Blackhole {
    /// Opens one on a free loopback port.
    pub fn new() -> Blackhole {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
        listener
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("a loopback port");
        listener.listen(0).expect("listen");
        let port = listener
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .expect("a bound address")
            .port();
        let filler = TcpStream::connect(("127.0.0.1", port)).expect("the one backlog slot");
        Blackhole {
            _listener: listener,
            _filler: filler,
            port,
        }
    }
}

impl Default for Blackhole {
    fn default() -> Self {
        Blackhole::new()
    }
}
