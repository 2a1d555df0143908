import Foundation

/// An exclusive advisory lock on `rebuild.lock` in the store directory: one rebuild at a time.
/// The kernel releases it when the process dies, so a crashed rebuild never blocks the next.
final class RebuildLock {
    private let fd: Int32

    init(path: String) throws {
        fd = open(path + "/rebuild.lock", O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw LedgerError.unavailable("cannot open \(path)/rebuild.lock") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LedgerError.unavailable("another rebuild of \(path) is running; wait for it to finish")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
