/// The one hash function of the embedder: 64-bit FNV-1a over Unicode scalar values,
/// finished with MurmurHash3's `fmix64` avalanche step.
///
/// It is fixed by the model definition (`Models/hashed-ngram-v1.json`, `"hash"`), seeded,
/// and independent of the process, the platform and the Swift version — unlike `Hasher`
/// and `hashValue`, which are randomly seeded per process. Changing anything here changes
/// every vector: bump the model version.
///
/// - The offset basis is `0xcbf29ce484222325 ^ seed`; each scalar value (not each byte)
///   is xor-ed in and multiplied by the FNV prime `0x100000001b3`.
/// - Every feature kind hashes a namespace scalar first, so that the CJK unigram "中"
///   and the English word "中" are different features.
@usableFromInline
struct FeatureHash: Sendable {
    @usableFromInline static let prime: UInt64 = 0x0000_0100_0000_01b3
    @usableFromInline static let basis: UInt64 = 0xcbf2_9ce4_8422_2325

    @usableFromInline var state: UInt64

    @inlinable init(seed: UInt64, namespace: UInt32) {
        state = FeatureHash.basis ^ seed
        combine(namespace)
    }

    @inlinable mutating func combine(_ value: UInt32) {
        state ^= UInt64(value)
        state &*= FeatureHash.prime
    }

    /// The finished 64-bit hash (`fmix64` of the FNV state).
    @inlinable var value: UInt64 {
        var h = state
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}

extension UInt64 {
    /// Bucket in `0..<dimension` and sign (+1/-1) of a finished feature hash:
    /// the bucket is the hash modulo the dimension, the sign is bit 63.
    @inlinable func bucketAndSign(dimension: Int) -> (bucket: Int, sign: Float) {
        (Int(self % UInt64(dimension)), (self >> 63) == 0 ? 1 : -1)
    }
}
