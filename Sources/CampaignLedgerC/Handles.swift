import CampaignLedger
import Glibc
import Synchronization

/// What `ledger_open` hands out: the ledger and the last error message of each thread that
/// called through this handle. The C side sees only its address (`ledger_t *`).
final class Handle: Sendable {
    let ledger: Ledger
    private let errors = Mutex<[UInt: String]>([:])

    init(_ ledger: Ledger) { self.ledger = ledger }

    func setError(_ message: String) { errors.withLock { $0[currentThread()] = message } }
    func error() -> String? { errors.withLock { $0[currentThread()] } }
}

/// The open handles by address. A call looks its handle up here (and holds it for the call), so
/// a closed, foreign or null pointer is refused with `LEDGER_USAGE` instead of being followed,
/// and a close racing a call on another thread frees the ledger only when that call returns.
private let openHandles = Mutex<[UInt: Handle]>([:])

/// Errors of calls that had no handle to keep them (a failed open, a null or closed handle),
/// per thread: `ledger_errmsg(NULL)`.
private let handlelessErrors = Mutex<[UInt: String]>([:])

func currentThread() -> UInt { UInt(pthread_self()) }

func register(_ handle: Handle) -> OpaquePointer {
    let address = UInt(bitPattern: Unmanaged.passUnretained(handle).toOpaque())
    openHandles.withLock { $0[address] = handle }
    return OpaquePointer(bitPattern: address)!
}

func lookUp(_ pointer: OpaquePointer?) -> Handle? {
    guard let pointer else { return nil }
    return openHandles.withLock { $0[UInt(bitPattern: pointer)] }
}

@discardableResult
func unregister(_ pointer: OpaquePointer?) -> Handle? {
    guard let pointer else { return nil }
    return openHandles.withLock { $0.removeValue(forKey: UInt(bitPattern: pointer)) }
}

func setHandlelessError(_ message: String) { handlelessErrors.withLock { $0[currentThread()] = message } }
func handlelessError() -> String? { handlelessErrors.withLock { $0[currentThread()] } }
