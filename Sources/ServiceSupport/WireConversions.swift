import GuicheAPI
import LlamaRuntime

// The engine's accounts in their wire form, for every service that reports them.

extension Usage {
    /// The wire form of a generation's token counts.
    public init(_ usage: GenerationUsage) {
        self.init(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedPromptTokens: usage.cachedPromptTokens)
    }
}

extension ChatCompletionChunk.Timings {
    /// The engine's account of a generation, in milliseconds.
    public init(_ summary: GenerationSummary) {
        self.init(firstTokenMs: summary.timeToFirstToken?.inMilliseconds, totalMs: summary.totalTime.inMilliseconds)
    }
}
