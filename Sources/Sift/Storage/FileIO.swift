import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file writes and read-only memory mappings.
enum FileIO {
    /// Writes `chunks` to `url` atomically: a temporary file in the same folder is written,
    /// flushed to disk (`fsync`) and renamed over `url`, then the folder is synced. A crash
    /// at any point leaves either the old file or the new one, never a mix.
    static func writeAtomically(_ chunks: [UnsafeRawBufferPointer], to url: URL) throws(SiftError) {
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        let temp = "\(dir)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        for chunk in chunks {
            var offset = 0
            while offset < chunk.count {
                let n = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    throw .writeFailed(path: path, reason: reason)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno)); close(fd)
            throw .writeFailed(path: path, reason: "fsync: \(reason)")
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        removeStaleTemporaries(of: url.lastPathComponent, in: dir)
    }

    /// Deletes the temporary files that writers of `name` killed mid-write left in `dir`
    /// (`.NAME.tmp-PID-N` whose process no longer exists). Temporaries of live processes,
    /// which may still be writing, are kept.
    static func removeStaleTemporaries(of name: String, in dir: String) {
        let prefix = ".\(name).tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlink("\(dir)/\(entry)") }
        }
    }

    /// Drops the pages of `count` bytes at `start` (inside a file mapping) from the process's
    /// resident set; they are read again from the file (or the page cache) when touched.
    static func releasePages(_ start: UnsafeMutableRawPointer, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + count) / page * page
        guard last > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(p, last - first, Int32(MADV_DONTNEED))
    }

    /// Tells the kernel that `count` bytes at `start` (inside a file mapping) are read at random:
    /// no read-ahead around a page fault, so a random row costs its own pages only.
    static func adviseRandomAccess(_ start: UnsafeMutableRawPointer, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = Int(bitPattern: start) / page * page
        guard count > 0, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(p, Int(bitPattern: start) + count - first, Int32(MADV_RANDOM))
    }

    /// A read-only shared mapping of a whole file; unmapped when released.
    /// The file stays open, so that parts of it can also be read with `pread` (``read(_:count:at:)``).
    final class Mapping: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let length: Int
        private let fd: Int32

        init(path: String) throws(SiftError) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw .fileUnreadable(path: path, reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
            }
            var keep = false
            defer { if !keep { close(fd) } }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw .fileUnreadable(path: path, reason: String(cString: strerror(errno))) }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw .fileUnreadable(path: path, reason: "not a regular file") }
            let size = Int(st.st_size)
            guard size > 0 else { throw .corruptIndex(path: path, reason: "the file is empty") }
            guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
                throw .fileUnreadable(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
            }
            base = p
            length = size
            self.fd = fd
            keep = true
        }

        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

        /// Copies `count` bytes of the file at the mapped address `address` into `buffer`
        /// with `pread`, without touching (and so without mapping) the pages; false on a read error.
        func read(_ buffer: UnsafeMutableRawPointer, count: Int, at address: UnsafeRawPointer) -> Bool {
            var done = 0
            let offset = address - UnsafeRawPointer(base)
            while done < count {
                let n = pread(fd, buffer + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }

        deinit {
            munmap(base, length)
            close(fd)
        }
    }
}
