import Foundation

// Wrappers that let worker threads of `DispatchQueue.concurrentPerform` share buffers.
// Each worker reads or writes disjoint parts; the wrappers only vouch for that.

/// A buffer that worker threads write to at disjoint indices.
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

struct SendableLive: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Bool>
    init(_ buffer: UnsafeBufferPointer<Bool>) { self.buffer = buffer }
}

struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

struct SendableRaw: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
}
