import GuicheAPI
import LlamaRuntime

extension SamplingFields {
    /// The request's sampling over the service's defaults (the original system's).
    var parameters: SamplingParameters {
        var parameters = SamplingParameters()
        if let maxTokens = maxCompletionTokens ?? maxTokens { parameters.maxTokens = maxTokens }
        if let temperature { parameters.temperature = temperature }
        if let topP { parameters.topP = topP }
        if let topK { parameters.topK = topK }
        if let minP { parameters.minP = minP }
        if let repeatPenalty { parameters.repeatPenalty = repeatPenalty }
        if let repeatLastN { parameters.repeatLastN = repeatLastN }
        if let stop { parameters.stop = stop.values }
        parameters.seed = seed
        return parameters
    }
}
