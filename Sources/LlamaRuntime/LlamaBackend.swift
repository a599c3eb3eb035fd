import CLlama
import Foundation
import Synchronization

/// llama.cpp's process-wide state. `initialize()` is idempotent and thread-safe; every model load
/// calls it, so callers rarely need to.
public enum LlamaBackend {
    /// How much of llama.cpp's own logging reaches standard error.
    public enum LogLevel: Int, Sendable, Comparable {
        case debug = 1, info = 2, warning = 3, error = 4, none = 99
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private static let threshold = Atomic<Int>(LogLevel.error.rawValue)
    private static let initialized: Void = {
        llama_log_set({ level, text, _ in
            guard let text else { return }
            let severity: LlamaBackend.LogLevel = switch level {
            case GGML_LOG_LEVEL_ERROR: .error
            case GGML_LOG_LEVEL_WARN: .warning
            case GGML_LOG_LEVEL_INFO: .info
            case GGML_LOG_LEVEL_CONT: .info
            default: .debug
            }
            guard severity.rawValue >= LlamaBackend.threshold.load(ordering: .relaxed) else { return }
            FileHandle.standardError.write(Data(bytes: text, count: strlen(text)))
        }, nil)
        llama_backend_init()
    }()

    /// Initialises llama.cpp once per process.
    public static func initialize() {
        _ = initialized
    }

    /// Sets the minimum level of llama.cpp messages written to standard error (default: errors only).
    /// `GUICHE_LLAMA_LOG=debug|info|warning|error|none` sets it from the environment.
    public static func setLogLevel(_ level: LogLevel) {
        threshold.store(level.rawValue, ordering: .relaxed)
    }

    /// llama.cpp's description of the CPU/GPU features it was built with.
    public static var systemInfo: String {
        initialize()
        return String(cString: llama_print_system_info())
    }

    /// Whether this llama.cpp build can offload layers to a GPU.
    public static var supportsGPUOffload: Bool {
        initialize()
        return llama_supports_gpu_offload()
    }

    static func applyEnvironmentLogLevel() {
        guard let value = ProcessInfo.processInfo.environment["GUICHE_LLAMA_LOG"]?.lowercased() else { return }
        let level: LogLevel? = switch value {
        case "debug": .debug
        case "info": .info
        case "warning", "warn": .warning
        case "error": .error
        case "none", "off": LogLevel.none
        default: nil
        }
        if let level { setLogLevel(level) }
    }
}
