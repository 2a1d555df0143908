import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to 127.0.0.1:port. `receiveBuffer` sets `SO_RCVBUF` before connecting (a
/// small one makes a client that reads nothing push back on the server at once).
func connectLoopback(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else {
        close(fd)
        throw POSIXError(.ECONNREFUSED)
    }
    return fd
}

/// Sends all of `text` on `fd`; false if the connection refused it.
@discardableResult
func sendAll(_ fd: Int32, _ text: String) -> Bool {
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return false }
        sent += n
    }
    return true
}

/// Reads from `fd` until the peer closes the connection or `limit` passes: whether it was
/// closed, after how long, and what was received meanwhile.
func readUntilClosed(_ fd: Int32, within limit: Duration) -> (closed: Bool, after: Duration, received: String) {
    let started = ContinuousClock.now
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while ContinuousClock.now - started < limit {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { return (true, ContinuousClock.now - started, String(decoding: received, as: UTF8.self)) }
        received += buffer[..<n]
    }
    return (false, ContinuousClock.now - started, String(decoding: received, as: UTF8.self))
}
