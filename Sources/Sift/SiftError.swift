/// Every error the library throws. Each message names the file or argument at fault and
/// says what to do about it; ``description`` is ready to print as one line.
public enum SiftError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The corpus folder does not exist or is not a folder.
    case corpusNotFound(path: String)
    /// The corpus holds no usable article.
    case emptyCorpus(path: String, skipped: Int)
    /// A file could not be read.
    case fileUnreadable(path: String, reason: String)
    /// A file is not valid UTF-8 text (or is binary).
    case invalidText(path: String, reason: String)
    /// A JSONL file has a bad line.
    case invalidJSONL(path: String, line: Int, reason: String)
    /// An index file is damaged, truncated or of another format.
    case corruptIndex(path: String, reason: String)
    /// An index file was written by a newer version of Sift.
    case unsupportedIndexVersion(path: String, found: UInt32, supported: UInt32)
    /// An index was built with another embedding model.
    case modelMismatch(path: String, indexModel: String, expected: String)
    /// A model definition is invalid.
    case invalidModel(String)
    /// A template could not be read or parsed.
    case invalidTemplate(path: String, reason: String)
    /// An argument is out of range.
    case invalidArgument(name: String, reason: String)
    /// Writing a file failed; nothing already stored was changed.
    case writeFailed(path: String, reason: String)

    /// One line naming the file or argument at fault and what to do about it.
    public var description: String {
        switch self {
        case .corpusNotFound(let path):
            "corpus folder '\(path)' does not exist or is not a folder; give a folder of .md/.txt articles"
        case .emptyCorpus(let path, let skipped):
            "corpus '\(path)' has no usable article" + (skipped > 0 ? " (\(skipped) file(s) skipped, see warnings)" : "")
                + "; add .md or .txt files with text in them"
        case .fileUnreadable(let path, let reason):
            "cannot read '\(path)': \(reason)"
        case .invalidText(let path, let reason):
            "'\(path)' is not usable text: \(reason); save it as UTF-8 text"
        case .invalidJSONL(let path, let line, let reason):
            "'\(path)' line \(line): \(reason)"
        case .corruptIndex(let path, let reason):
            "index file '\(path)' is damaged (\(reason)); delete it and build the index again"
        case .unsupportedIndexVersion(let path, let found, let supported):
            "index file '\(path)' has format version \(found), this version of Sift reads up to \(supported); build the index again or upgrade Sift"
        case .modelMismatch(let path, let indexModel, let expected):
            "index file '\(path)' was built with model \(indexModel), not \(expected); build the index again with \(expected)"
        case .invalidModel(let why):
            "invalid embedding model: \(why)"
        case .invalidTemplate(let path, let reason):
            "template '\(path)': \(reason)"
        case .invalidArgument(let name, let reason):
            "invalid \(name): \(reason)"
        case .writeFailed(let path, let reason):
            "could not write '\(path)': \(reason); nothing already stored was changed"
        }
    }
}
