import CLlama

/// How the next token is chosen, and when generation stops.
public struct SamplingParameters: Sendable, Equatable {
    /// Most tokens to generate.
    public var maxTokens: Int
    /// 0 (or less) picks the most likely token every time (greedy, deterministic).
    public var temperature: Float
    /// Nucleus sampling: keep the smallest set of tokens whose probabilities add up to this.
    public var topP: Float
    /// Keep only the k most likely tokens; 0 disables.
    public var topK: Int
    /// Drop tokens less likely than this fraction of the most likely one; 0 disables.
    public var minP: Float
    /// Penalty on tokens seen in the last `repeatLastN` tokens; 1 disables.
    public var repeatPenalty: Float
    public var repeatLastN: Int
    /// Random seed; nil draws one.
    public var seed: UInt32?
    /// Generation ends before any of these strings; they are not part of the output.
    public var stop: [String]

    /// The original system's defaults: 1024 tokens, temperature 0.2, top-p 0.9, repeat penalty 1.1.
    public init(
        maxTokens: Int = 1024, temperature: Float = 0.2, topP: Float = 0.9, topK: Int = 40, minP: Float = 0.05,
        repeatPenalty: Float = 1.1, repeatLastN: Int = 64, seed: UInt32? = nil, stop: [String] = []
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed
        self.stop = stop
    }

    /// Always the most likely token: reproducible output.
    public static func greedy(maxTokens: Int = 1024, stop: [String] = []) -> SamplingParameters {
        .init(maxTokens: maxTokens, temperature: 0, repeatPenalty: 1, stop: stop)
    }

    /// Largest values llama.cpp's samplers take (they are 32-bit there).
    public static let maxTopK = Int(Int32.max)
    public static let maxRepeatLastN = Int(Int32.max)

    func validate() throws(LlamaError) {
        guard maxTokens >= 1 else { throw .invalidConfiguration("maxTokens must be at least 1, got \(maxTokens)") }
        guard topK <= Self.maxTopK else { throw .invalidConfiguration("topK must be at most \(Self.maxTopK), got \(topK)") }
        guard repeatLastN <= Self.maxRepeatLastN else {
            throw .invalidConfiguration("repeatLastN must be at most \(Self.maxRepeatLastN), got \(repeatLastN)")
        }
        guard temperature.isFinite else { throw .invalidConfiguration("temperature must be finite") }
        guard topP > 0, topP <= 1 else { throw .invalidConfiguration("topP must be in (0, 1], got \(topP)") }
        guard topK >= 0 else { throw .invalidConfiguration("topK must be >= 0, got \(topK)") }
        guard minP >= 0, minP <= 1 else { throw .invalidConfiguration("minP must be in [0, 1], got \(minP)") }
        guard repeatPenalty > 0, repeatPenalty.isFinite else { throw .invalidConfiguration("repeatPenalty must be > 0, got \(repeatPenalty)") }
        guard repeatLastN >= 0 else { throw .invalidConfiguration("repeatLastN must be >= 0, got \(repeatLastN)") }
    }
}

/// A llama.cpp sampler chain built from `SamplingParameters`; frees it on deinit.
final class SamplerChain {
    private let pointer: UnsafeMutablePointer<llama_sampler>

    init(parameters: SamplingParameters, vocabularySize: Int) {
        var chainParams = llama_sampler_chain_default_params()
        chainParams.no_perf = true
        pointer = llama_sampler_chain_init(chainParams)
        if parameters.topK > 0 {
            llama_sampler_chain_add(pointer, llama_sampler_init_top_k(Int32(parameters.topK)))
        }
        if parameters.repeatPenalty != 1, parameters.repeatLastN > 0 {
            llama_sampler_chain_add(pointer, llama_sampler_init_penalties(
                Int32(vocabularySize), Int32(parameters.repeatLastN), parameters.repeatPenalty, 0, 0))
        }
        if parameters.temperature <= 0 {
            llama_sampler_chain_add(pointer, llama_sampler_init_greedy())
        } else {
            if parameters.topP < 1 { llama_sampler_chain_add(pointer, llama_sampler_init_top_p(parameters.topP, 1)) }
            if parameters.minP > 0 { llama_sampler_chain_add(pointer, llama_sampler_init_min_p(parameters.minP, 1)) }
            llama_sampler_chain_add(pointer, llama_sampler_init_temp(parameters.temperature))
            llama_sampler_chain_add(pointer, llama_sampler_init_dist(parameters.seed ?? UInt32.random(in: 0..<UInt32.max)))
        }
    }

    deinit {
        llama_sampler_free(pointer)
    }

    /// Samples from the logits at `index` of the last batch and records the token in the history.
    func sample(context: LlamaContext, index: Int32) -> Token {
        llama_sampler_sample(pointer, context.pointer, index)
    }
}
