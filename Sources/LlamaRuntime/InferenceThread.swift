import Foundation

/// A thread of its own that runs blocking llama.cpp calls in submission order, so that
/// `llama_decode` never occupies a thread of Swift's cooperative pool.
final class InferenceThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []  // guarded by `condition`
    private var stopping = false          // guarded by `condition`

    init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues `job` to run on the thread; false (and the job dropped) after `shutdown()`.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Runs `body` on the thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(LlamaError) -> T) async throws(LlamaError) -> T {
        let result: Result<T, LlamaError> = await withCheckedContinuation { continuation in
            let queued = submit {
                continuation.resume(returning: Result { () throws(LlamaError) -> T in try body() })
            }
            if !queued { continuation.resume(returning: .failure(.shutDown)) }
        }
        return try result.get()
    }

    /// Lets queued jobs finish, then ends the thread.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping {
                condition.wait()
            }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
