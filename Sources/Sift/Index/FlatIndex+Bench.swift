import Dispatch
import Foundation

extension FlatIndex {
    /// Reads every byte of the matrix once (a sum over 16 independent lanes, split across
    /// `threads` threads): the memory-bandwidth floor that a search cannot beat.
    @_spi(Benchmarks)
    public func scanChecksum(threads: Int = 1) -> Float {
        let total = matrixBytes / 4
        let workers = max(1, min(threads, max(1, total / 65536)))
        let partial = UnsafeMutableBufferPointer<Float>.allocate(capacity: workers)
        partial.initialize(repeating: 0)
        defer { partial.deallocate() }
        let out = SendableBuffer(partial)
        let base = SendableRaw(storage.raw)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = total * w / workers, end = total * (w + 1) / workers
            var acc = SIMD16<Float>()
            var i = start
            let p = base.pointer
            while i + 16 <= end {
                acc += p.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                i += 16
            }
            var s = acc.sum()
            while i < end { s += p.loadUnaligned(fromByteOffset: i * 4, as: Float.self); i += 1 }
            out.buffer[w] = s
        }
        return partial.reduce(0, +)
    }
}

