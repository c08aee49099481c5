#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What BLAS implementation the process actually runs, and its thread count.
///
/// Sift links the generic `libblas.so.3`; on Debian, update-alternatives decides at run
/// time whether that is OpenBLAS (fast) or the netlib reference BLAS (7–38× slower).
/// OpenBLAS is recognised by its `openblas_*` entry points, looked up with `dlsym`.
@_spi(Benchmarks)
public enum BLASRuntime {
    private typealias GetString = @convention(c) () -> UnsafePointer<CChar>?
    private typealias GetInt = @convention(c) () -> Int32
    private typealias SetInt = @convention(c) (Int32) -> Void

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        #if canImport(Glibc)
        let handle = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        #else
        let handle = UnsafeMutableRawPointer(bitPattern: -2)
        #endif
        guard let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: type)
    }

    /// Whether the loaded BLAS is OpenBLAS.
    public static var isOpenBLAS: Bool { symbol("openblas_get_corename", as: GetString.self) != nil }

    /// A description such as `OpenBLAS 0.3.21 (Haswell kernels, 2 threads)`, or
    /// `reference BLAS (netlib) or unknown` when no OpenBLAS entry point is present.
    public static var implementation: String {
        guard let core = symbol("openblas_get_corename", as: GetString.self)?() else {
            return "reference BLAS (netlib) or unknown"
        }
        var text = "OpenBLAS"
        if let config = symbol("openblas_get_config", as: GetString.self)?() {
            let c = String(cString: config)
            if let v = c.split(separator: " ").dropFirst().first { text += " " + v }
        }
        return text + " (\(String(cString: core)) kernels, \(threads) thread\(threads == 1 ? "" : "s"))"
    }

    /// BLAS worker threads (1 when unknown).
    public static var threads: Int {
        Int(symbol("openblas_get_num_threads", as: GetInt.self)?() ?? 1)
    }

    /// Sets the number of BLAS worker threads (no effect on a BLAS without the setting).
    public static func setThreads(_ n: Int) {
        symbol("openblas_set_num_threads", as: SetInt.self)?(Int32(max(1, n)))
    }
}
