import CLlama

extension LlamaModel {
    /// Tokenizes `text`.
    /// - Parameters:
    ///   - addSpecial: add the BOS/EOS (CLS/SEP) tokens the model is configured to add.
    ///   - parseSpecial: recognise special tokens written in the text (`<|im_start|>`); off for user text.
    public func tokenize(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) throws(LlamaError) -> [Token] {
        let utf8 = Array(text.utf8)
        guard utf8.count < Int32.max else { throw .tokenizationFailed(reason: "text of \(utf8.count) bytes is too large") }
        var capacity = utf8.count + 8
        while true {
            var tokens = [Token](repeating: 0, count: capacity)
            let count = utf8.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    llama_tokenize(vocab, chars.baseAddress, Int32(chars.count), &tokens, Int32(capacity), addSpecial, parseSpecial)
                }
            }
            if count == Int32.min {
                throw .tokenizationFailed(reason: "token count overflows int32")
            }
            if count < 0 {
                capacity = Int(-count)
                continue
            }
            tokens.removeSubrange(Int(count)...)
            return tokens
        }
    }

    /// The bytes of one token's text. Byte-level vocabularies can split a UTF-8 character across
    /// tokens, so this returns bytes, not a String.
    public func piece(of token: Token, renderSpecial: Bool = false) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 32)
        var written = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, renderSpecial)
        if written < 0 {
            buffer = [CChar](repeating: 0, count: Int(-written))
            written = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, renderSpecial)
        }
        return buffer.prefix(max(0, Int(written))).map(UInt8.init(bitPattern:))
    }

    /// Converts tokens back to text.
    /// - Parameters:
    ///   - removeSpecial: drop the BOS/EOS the tokenizer added.
    ///   - renderSpecial: write special tokens (`<|im_end|>`) as text instead of skipping them.
    public func detokenize(_ tokens: [Token], removeSpecial: Bool = false, renderSpecial: Bool = false) -> String {
        var capacity = tokens.count * 8 + 16
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let written = llama_detokenize(vocab, tokens, Int32(tokens.count), &buffer, Int32(capacity), removeSpecial, renderSpecial)
            if written < 0 {
                capacity = Int(-written)
                continue
            }
            return String(decoding: buffer.prefix(Int(written)).map(UInt8.init(bitPattern:)), as: UTF8.self)
        }
    }

    /// The special tokens the tokenizer puts before and after an input (e.g. `[CLS]`…`[SEP]`,
    /// `<s>`…`</s>`), as `tokenize(_:addSpecial: true)` adds them.
    public var specialTokensAroundInput: (start: [Token], end: [Token]) {
        let start = llama_vocab_get_add_bos(vocab) && llama_vocab_bos(vocab) != LLAMA_TOKEN_NULL ? [llama_vocab_bos(vocab)] : []
        var end: [Token] = []
        if llama_vocab_get_add_eos(vocab), llama_vocab_eos(vocab) != LLAMA_TOKEN_NULL {
            end.append(llama_vocab_eos(vocab))
        } else if llama_vocab_get_add_sep(vocab), llama_vocab_sep(vocab) != LLAMA_TOKEN_NULL {
            end.append(llama_vocab_sep(vocab))
        }
        return (start, end)
    }

    /// Whether `token` ends generation (EOS, EOT, `<|im_end|>`, …).
    public func isEndOfGeneration(_ token: Token) -> Bool {
        llama_vocab_is_eog(vocab, token)
    }
}
