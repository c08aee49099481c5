import Foundation
import SiftKernels

/// Which scan kernels run: the C kernels of the `SiftKernels` target, compiled for AVX-512
/// and AVX2 and picked at run time for this CPU, or the portable Swift code.
///
/// The environment variable `SIFT_KERNELS` (`swift`, `portable`, `avx2`, `avx512`) caps the
/// choice for a whole process, for measuring the fallback; ``force(_:)`` does it in code, and
/// ``swiftOnly`` for the work of one task only (tests compare the two paths with it).
@_spi(Benchmarks)
public enum Kernels {
    /// A kernel variant, slowest first.
    public enum Variant: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Sift's Swift loops (baseline x86-64: SSE2, no FMA, no POPCNT).
        case swift = -1
        /// The C kernels' portable code.
        case portable = 0
        /// AVX2, FMA and POPCNT.
        case avx2 = 1
        /// AVX-512 F/BW/VL, VPOPCNTDQ and VNNI.
        case avx512 = 2

        public var description: String {
            switch self {
            case .swift: "swift"
            case .portable: "portable C"
            case .avx2: "AVX2"
            case .avx512: "AVX-512"
            }
        }
    }

    private static let fromEnvironment: Void = {
        let names: [String: Variant] = ["swift": .swift, "portable": .portable, "avx2": .avx2, "avx512": .avx512]
        if let name = ProcessInfo.processInfo.environment["SIFT_KERNELS"], let v = names[name.lowercased()] {
            _ = sift_kernels_force(Int32(v.rawValue))
        }
    }()

    /// The variant in use.
    public static var variant: Variant {
        _ = fromEnvironment
        return Variant(rawValue: Int(sift_kernels_variant())) ?? .swift
    }

    /// Uses at most `variant` (the CPU may support less); returns the variant now in use.
    @discardableResult
    public static func force(_ variant: Variant) -> Variant {
        _ = fromEnvironment
        return Variant(rawValue: Int(sift_kernels_force(Int32(variant.rawValue)))) ?? .swift
    }

    /// Within `Kernels.$swiftOnly.withValue(true) { … }`, searches started on that task use
    /// the Swift loops, whatever the process-wide variant.
    @TaskLocal public static var swiftOnly = false

    /// Whether the C kernels run (else the Swift loops).
    static var useC: Bool { !swiftOnly && variant != .swift }
}
