/// Small vector helpers (the heavy lifting is BLAS, in `FlatIndex`).
enum VectorMath {
    /// Scales `v` to unit length; a zero vector stays zero.
    static func normalize(_ v: inout [Float]) {
        v.withUnsafeMutableBufferPointer { normalize($0) }
    }

    /// Scales `v` to unit length in place; a zero vector stays zero.
    static func normalize(_ v: UnsafeMutableBufferPointer<Float>) {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        guard sum > 0 else { return }
        let scale = Float(1 / sum.squareRoot())
        for i in v.indices { v[i] *= scale }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var s: Float = 0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
