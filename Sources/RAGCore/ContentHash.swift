import Crypto
import Foundation

/// SHA-256 digests in hex, to detect changed documents and models.
public enum ContentHash {
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
