import Synchronization

/// Wakes the event streams when this server appends, so they follow live appends at once;
/// appends by other processes are noticed by the streams' periodic re-read of the log.
final class AppendNotifier: Sendable {
    private enum Waiter {
        /// `wait` began; its continuation is not registered yet.
        case pending
        case waiting(CheckedContinuation<Void, Never>)
        /// Woken before its continuation was registered: registering resumes at once.
        case woken
    }
    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }
    private let state = Mutex(State())

    /// Wakes every waiting stream.
    func notify() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            for (id, w) in s.waiters {
                switch w {
                case .waiting(let c):
                    ready.append(c)
                    s.waiters[id] = nil
                case .pending: s.waiters[id] = .woken
                case .woken: break
                }
            }
            return ready
        }
        for c in ready { c.resume() }
    }

    /// Returns after the next `notify`, after `timeout`, or soon after the task is cancelled.
    func wait(upTo timeout: Duration) async {
        let id = state.withLock { s in
            s.nextID += 1
            s.waiters[s.nextID] = .pending
            return s.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { c in
                    let resumeNow = self.state.withLock { s -> Bool in
                        guard case .pending? = s.waiters[id] else {
                            s.waiters[id] = nil
                            return true
                        }
                        s.waiters[id] = .waiting(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            // Whichever finished first, end the other: wake our own continuation (or mark it
            // so that registering it returns at once) and stop the timer.
            let c = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                switch s.waiters[id] {
                case .waiting(let c)?:
                    s.waiters[id] = nil
                    return c
                case .pending?:
                    s.waiters[id] = .woken
                    return nil
                case .woken?, nil:
                    return nil
                }
            }
            c?.resume()
            group.cancelAll()
        }
    }
}
