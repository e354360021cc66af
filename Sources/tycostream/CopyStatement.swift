import Foundation

/// Recognises `COPY … TO STDOUT` statements and derives a `LIMIT 0` query
/// that reports the COPY's column types (COPY OUT itself carries only formats).
struct CopyStatement {
    /// A query returning no rows but the same columns, when one can be derived.
    let probeQuery: String?

    init?(_ sql: String) {
        let text = sql.trimmingLeadingSpaceAndComments()
        guard text.lowercased().hasPrefix("copy"), text.count > 4 else { return nil }
        var rest = text.dropFirst(4).drop(while: \.isWhitespace)
        if rest.first == "(" {
            // COPY ( query ) TO …: find the matching parenthesis, skipping quoted text.
            guard let inner = Self.parenthesised(rest) else {
                probeQuery = nil
                return
            }
            let lowered = inner.drop(while: \.isWhitespace).lowercased()
            let isSelect = ["select", "with", "values", "table"].contains { lowered.hasPrefix($0) }
            probeQuery = isSelect ? "SELECT * FROM (\(inner)) AS probe LIMIT 0" : nil
        } else {
            // COPY name [ ( columns ) ] TO …
            let name = rest.prefix { !$0.isWhitespace && $0 != "(" }
            rest = rest.dropFirst(name.count).drop(while: \.isWhitespace)
            var columns = "*"
            if rest.first == "(", let list = Self.parenthesised(rest) {
                columns = String(list)
            }
            probeQuery = name.isEmpty ? nil : "SELECT \(columns) FROM \(name) LIMIT 0"
        }
    }

    /// The text inside the parenthesis that `text` starts with.
    private static func parenthesised(_ text: Substring) -> Substring? {
        var depth = 0
        var quote: Character?
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return text[text.index(after: text.startIndex)..<index] }
            default: break
            }
        }
        return nil
    }
}

extension String {
    /// The statement without leading whitespace and `--` / `/* */` comments.
    fileprivate func trimmingLeadingSpaceAndComments() -> Substring {
        var text = self[...]
        while true {
            text = text.drop(while: \.isWhitespace)
            if text.hasPrefix("--") {
                text = text.drop { $0 != "\n" }
            } else if text.hasPrefix("/*"), let end = text.range(of: "*/") {
                text = text[end.upperBound...]
            } else {
                return text
            }
        }
    }
}
