import Foundation
import LiveViews
import Yams

/// The YAML schema file: the enums and sources the GraphQL API is generated from.
///
/// The format is upstream tycostream's (`schema.example.yaml`, `src/config/sources.config.ts`):
///
/// ```yaml
/// enums:
///   side: [buy, sell]          # name → values, in order (the order enum comparisons use)
/// sources:
///   trades:
///     primary_key: id          # or, our addition, a composite key: [account, id]
///     object: trades_v2        # our addition: the database object; defaults to the source name
///     columns:                 # name → type; file order is column order everywhere
///       id: Integer
///       side: side
/// ```
///
/// Loading uses Yams' `Node` API so every mistake is reported at its line and column, with a
/// message saying what to write instead, as one ``GraphQLAPIError``.
public struct SchemaFile: Sendable, Hashable {
    /// The path the file was read from (or the name given with the YAML text), used in errors.
    public let path: String
    /// Declared enums, in file order.
    public let enums: [EnumType]
    /// Declared sources, in file order.
    public let sources: [SourceDefinition]

    /// The column types the file may name besides declared enums, as upstream spells them.
    public static let builtinTypes: [(name: String, type: ColumnType)] = [
        ("Integer", .integer), ("Float", .float), ("BigInt", .bigInt), ("String", .string), ("UUID", .uuid),
        ("Timestamp", .timestamp), ("Date", .date), ("Time", .time), ("Boolean", .boolean), ("JSON", .json),
        ("Array", .array),
    ]

    static let topLevelKeys = ["enums", "sources"]
    static let sourceKeys = ["primary_key", "columns", "object"]

    /// Reads and checks the schema file at `path`.
    public static func load(path: String) throws(GraphQLAPIError) -> SchemaFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GraphQLAPIError(
                .unreadableFile,
                "cannot read the schema file '\(path)' (\(error.localizedDescription)); create it or set SCHEMA_PATH to its path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GraphQLAPIError(.unreadableFile, "the schema file '\(path)' is not UTF-8 text; save it as UTF-8")
        }
        return try SchemaFile(yaml: text, path: path)
    }

    /// Parses and checks schema-file text; `path` names it in errors.
    public init(yaml: String, path: String = "schema.yaml") throws(GraphQLAPIError) {
        var loader = Loader(path: path, yaml: yaml)
        try loader.load()
        self.path = path
        self.enums = loader.enums
        self.sources = loader.sources
    }

    /// The source called `name`.
    public func source(named name: String) -> SourceDefinition? {
        sources.first { $0.name == name }
    }
}

/// The checking pass over the YAML tree. Declared names claim the GraphQL type names they
/// generate as they are met, so a collision is reported at the later of the two declarations.
private struct Loader {
    let path: String
    let yaml: String
    var enums: [EnumType] = []
    var sources: [SourceDefinition] = []
    private var enumsByName: [String: EnumType] = [:]
    /// Generated GraphQL type name → who generates it (for collision messages).
    private var claimedTypeNames: [String: String] = [:]

    init(path: String, yaml: String) {
        self.path = path
        self.yaml = yaml
        for name in GeneratedNames.fixedTypeNames {
            claimedTypeNames[name] = "the built-in type '\(name)'"
        }
    }

    mutating func load() throws(GraphQLAPIError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw yamlError(error)
        }
        guard let root, !isNull(root) else {
            throw GraphQLAPIError(
                .missingKey, "the schema file is empty; declare `sources:` with at least one source",
                location: .init(file: path, line: 1, column: 1))
        }
        guard let mapping = root.mapping else {
            throw fail(.invalidValue, "the top level must be a mapping with the keys `enums:` and `sources:`", at: root)
        }
        var enumsNode: Node?
        var sourcesNode: (key: Node, value: Node)?
        for (key, value) in mapping {
            let name = try keyName(key)
            switch name {
            case "enums": enumsNode = value
            case "sources": sourcesNode = (key, value)
            default: throw unknownKey(name, at: key, allowed: SchemaFile.topLevelKeys, in: "at the top level")
            }
        }
        if let enumsNode { try loadEnums(enumsNode) }
        guard let sourcesNode else {
            throw fail(.missingKey, "no `sources:` section; declare at least one source under `sources:`", at: root)
        }
        try loadSources(sourcesNode.value, key: sourcesNode.key)
    }

    // MARK: Enums

    private mutating func loadEnums(_ node: Node) throws(GraphQLAPIError) {
        if isNull(node) { return }  // `enums:` with nothing under it, as upstream allows.
        guard let mapping = node.mapping else {
            throw fail(.invalidValue, "`enums:` must be a mapping of enum name to its list of values, e.g. `side: [buy, sell]`", at: node)
        }
        for (key, value) in mapping {
            let name = try keyName(key)
            try checkName(name, kind: "enum", at: key)
            guard let items = value.sequence, !items.isEmpty else {
                if value.sequence != nil || isNull(value) {
                    throw fail(.emptyEnum, "enum '\(name)' has no values; list at least one, e.g. `\(name): [a, b]`", at: isNull(value) ? key : value)
                }
                throw fail(.invalidValue, "enum '\(name)' must be a list of values, e.g. `\(name): [a, b]`", at: value)
            }
            var values: [String] = []
            var lineOf: [String: Int] = [:]
            for item in items {
                guard let scalar = item.scalar else {
                    throw fail(.invalidValue, "enum '\(name)': each value must be a plain name, not a list or mapping", at: item)
                }
                let value = scalar.string
                try checkName(value, kind: "value of enum '\(name)'", at: item)
                if ["true", "false", "null"].contains(value) {
                    throw fail(.invalidName, "enum '\(name)': '\(value)' cannot be a GraphQL enum value; choose another name, e.g. '\(value.uppercased())'", at: item)
                }
                if let first = lineOf[value] {
                    throw fail(.duplicateName, "enum '\(name)' lists '\(value)' twice (first at line \(first)); remove one", at: item)
                }
                lineOf[value] = line(of: item)
                values.append(value)
            }
            try claim(GeneratedNames.sourceType(name), by: "enum '\(name)'", at: key)
            try claim(GeneratedNames.enumComparisonType(name), by: "enum '\(name)'", at: key)
            let type = EnumType(name: name, values: values)
            enums.append(type)
            enumsByName[name] = type
        }
    }

    // MARK: Sources

    private mutating func loadSources(_ node: Node, key sectionKey: Node) throws(GraphQLAPIError) {
        guard let mapping = node.mapping, !mapping.isEmpty else {
            if isNull(node) || node.mapping != nil {
                throw fail(.missingKey, "`sources:` is empty; declare at least one source with `primary_key:` and `columns:`", at: sectionKey)
            }
            throw fail(.invalidValue, "`sources:` must be a mapping of source name to its definition", at: node)
        }
        for (key, value) in mapping {
            let name = try keyName(key)
            try checkName(name, kind: "source", at: key)
            for typeName in [
                GeneratedNames.sourceType(name), GeneratedNames.updateType(name), GeneratedNames.expressionType(name),
                GeneratedNames.triggerInputType(name),
            ] {
                try claim(typeName, by: "source '\(name)'", at: key)
            }
            sources.append(try loadSource(name, key: key, value: value))
        }
    }

    private func loadSource(_ name: String, key: Node, value: Node) throws(GraphQLAPIError) -> SourceDefinition {
        guard let mapping = value.mapping else {
            throw fail(.invalidValue, "source '\(name)' must be a mapping with `primary_key:` and `columns:`", at: isNull(value) ? key : value)
        }
        var primaryKeyNode: (key: Node, value: Node)?
        var columnsNode: (key: Node, value: Node)?
        var objectNode: Node?
        for (fieldKey, fieldValue) in mapping {
            let field = try keyName(fieldKey)
            switch field {
            case "primary_key": primaryKeyNode = (fieldKey, fieldValue)
            case "columns": columnsNode = (fieldKey, fieldValue)
            case "object": objectNode = fieldValue
            default: throw unknownKey(field, at: fieldKey, allowed: SchemaFile.sourceKeys, in: "in source '\(name)'")
            }
        }

        guard let columnsNode else {
            throw fail(.missingKey, "source '\(name)' has no `columns:`; list its columns as `name: Type`", at: key)
        }
        let columns = try loadColumns(of: name, columnsNode.value, key: columnsNode.key)

        guard let primaryKeyNode, !isNull(primaryKeyNode.value) else {
            throw fail(
                .invalidPrimaryKey,
                "source '\(name)' has no `primary_key:`; name the column (or, for a composite key, the list of columns) that identifies a row, e.g. `primary_key: \(columns[0].name)`",
                at: primaryKeyNode?.key ?? key)
        }
        let keyNames = try loadPrimaryKey(of: name, primaryKeyNode.value, columns: columns)

        var object = name
        if let objectNode {
            guard let scalar = objectNode.scalar, !isNull(objectNode),
                !scalar.string.trimmingCharacters(in: .whitespaces).isEmpty,
                !scalar.string.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw fail(.invalidValue, "source '\(name)': `object:` must name the database view or table, e.g. `object: \(name)` or `object: public.\(name)`", at: objectNode)
            }
            object = scalar.string
        }

        let schema: SourceSchema
        do throws(LiveViewsError) {
            schema = try SourceSchema(name: name, columns: columns, primaryKey: keyNames)
        } catch {
            // Every rule SourceSchema checks was checked above with a line number.
            throw fail(.invalidPrimaryKey, error.message, at: primaryKeyNode.value)
        }
        return SourceDefinition(schema: schema, object: object, line: line(of: key))
    }

    private func loadColumns(of source: String, _ node: Node, key: Node) throws(GraphQLAPIError) -> [SourceSchema.Column] {
        guard let mapping = node.mapping, !mapping.isEmpty else {
            if isNull(node) || node.mapping != nil {
                throw fail(.missingKey, "source '\(source)' declares no columns; list them under `columns:` as `name: Type`", at: key)
            }
            throw fail(.invalidValue, "source '\(source)': `columns:` must be a mapping of column name to type, e.g. `id: Integer`", at: node)
        }
        var columns: [SourceSchema.Column] = []
        for (columnKey, typeNode) in mapping {
            let column = try keyName(columnKey)
            try checkName(column, kind: "column of source '\(source)'", at: columnKey)
            if GeneratedNames.logicalOperators.contains(column) {
                throw fail(.nameCollision, "source '\(source)': a column cannot be called '\(column)', which `\(GeneratedNames.expressionType(source))` uses for its logical operator; rename the column", at: columnKey)
            }
            guard let scalar = typeNode.scalar, !isNull(typeNode) else {
                throw fail(.invalidValue, "source '\(source)', column '\(column)': write its type as one name, e.g. `\(column): String`; \(validTypesList)", at: isNull(typeNode) ? columnKey : typeNode)
            }
            columns.append(.init(name: column, type: try columnType(scalar.string, column: column, source: source, at: typeNode)))
        }
        return columns
    }

    private func loadPrimaryKey(of source: String, _ node: Node, columns: [SourceSchema.Column]) throws(GraphQLAPIError) -> [String] {
        let items: [Node]
        if node.scalar != nil {
            items = [node]
        } else if let sequence = node.sequence {
            guard !sequence.isEmpty else {
                throw fail(.invalidPrimaryKey, "source '\(source)': `primary_key: []` names no column; name at least one, e.g. `primary_key: \(columns[0].name)`", at: node)
            }
            items = Array(sequence)
        } else {
            throw fail(.invalidPrimaryKey, "source '\(source)': `primary_key:` must be a column name or a list of column names, e.g. `primary_key: [\(columns[0].name)]`", at: node)
        }
        let columnNames = columns.map(\.name)
        var names: [String] = []
        for item in items {
            guard let scalar = item.scalar, !isNull(item) else {
                throw fail(.invalidPrimaryKey, "source '\(source)': each primary key entry must be a column name", at: item)
            }
            let name = scalar.string
            guard columnNames.contains(name) else {
                var message = "source '\(source)': primary key column '\(name)' is not among its columns (\(columnNames.joined(separator: ", ")))"
                if let suggestion = closest(to: name, among: columnNames) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; declare it under `columns:` or name one of those"
                }
                throw fail(.invalidPrimaryKey, message, at: item)
            }
            guard !names.contains(name) else {
                throw fail(.invalidPrimaryKey, "source '\(source)': the primary key names '\(name)' twice; list each key column once", at: item)
            }
            names.append(name)
        }
        return names
    }

    // MARK: Types

    private var validTypesList: String {
        var text = "write one of " + SchemaFile.builtinTypes.map(\.name).joined(separator: ", ")
        if enums.isEmpty {
            text += ", or the name of an enum declared under `enums:`"
        } else {
            text += ", or a declared enum (" + enums.map(\.name).joined(separator: ", ") + ")"
        }
        return text
    }

    /// Common spellings from SQL and other languages, mapped to the type to write instead.
    private static let typeAliases: [String: String] = [
        "int": "Integer", "int2": "Integer", "int4": "Integer", "smallint": "Integer", "long": "Integer",
        "int8": "BigInt", "bigint": "BigInt", "numeric": "BigInt", "decimal": "BigInt",
        "float4": "Float", "float8": "Float", "real": "Float", "double": "Float", "double precision": "Float",
        "number": "Float",
        "text": "String", "varchar": "String", "char": "String", "character varying": "String", "str": "String",
        "bool": "Boolean",
        "timestamptz": "Timestamp", "datetime": "Timestamp", "timestamp with time zone": "Timestamp",
        "timestamp without time zone": "Timestamp", "timetz": "Time",
        "jsonb": "JSON", "object": "JSON", "list": "Array",
    ]

    private func columnType(_ name: String, column: String, source: String, at node: Node) throws(GraphQLAPIError) -> ColumnType {
        if let enumType = enumsByName[name] { return .enumeration(enumType) }
        if let builtin = SchemaFile.builtinTypes.first(where: { $0.name == name }) { return builtin.type }
        let candidates = SchemaFile.builtinTypes.map(\.name) + enums.map(\.name)
        let lowered = name.lowercased()
        let suggestion =
            candidates.first { $0.lowercased() == lowered }
            ?? Self.typeAliases[lowered]
            ?? closest(to: name, among: candidates)
        var message = "source '\(source)', column '\(column)': unknown type '\(name)'"
        if let suggestion { message += "; did you mean '\(suggestion)'?" }
        message += " Types are case-sensitive: \(validTypesList)"
        throw fail(.unknownType, message, at: node)
    }

    // MARK: Names

    private func checkName(_ name: String, kind: String, at node: Node) throws(GraphQLAPIError) {
        guard !GeneratedNames.isValidName(name) else { return }
        var advice = "use letters, digits and underscores, not starting with a digit"
        if name.hasPrefix("__") { advice = "names starting with '__' are reserved by GraphQL" }
        let fixed = suggestedName(for: name)
        let example = fixed.map { ", e.g. '\($0)'" } ?? ""
        throw fail(.invalidName, "'\(name)' is not a valid GraphQL name for a \(kind): \(advice)\(example)", at: node)
    }

    private func suggestedName(for name: String) -> String? {
        var result = String(name.unicodeScalars.map { scalar -> Character in
            let ascii = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
            return ascii ? Character(scalar) : "_"
        })
        while result.hasPrefix("__") { result.removeFirst() }
        if let first = result.unicodeScalars.first, ("0"..."9").contains(first) { result = "_" + result }
        return GeneratedNames.isValidName(result) && result != name ? result : nil
    }

    private mutating func claim(_ typeName: String, by owner: String, at node: Node) throws(GraphQLAPIError) {
        if let other = claimedTypeNames[typeName] {
            throw fail(
                .nameCollision,
                "\(owner) would generate the GraphQL type '\(typeName)', which \(other) already generates; rename \(owner)",
                at: node)
        }
        claimedTypeNames[typeName] = "\(owner) (line \(line(of: node)))"
    }

    private func keyName(_ key: Node) throws(GraphQLAPIError) -> String {
        guard let scalar = key.scalar else {
            throw fail(.invalidValue, "a key must be a plain name, not a list or mapping", at: key)
        }
        return scalar.string
    }

    private func unknownKey(_ key: String, at node: Node, allowed: [String], in place: String) -> GraphQLAPIError {
        var message = "unknown key '\(key)' \(place)"
        if let suggestion = closest(to: key, among: allowed) { message += "; did you mean '\(suggestion)'?" }
        message += " Allowed keys: " + allowed.joined(separator: ", ")
        return fail(.unknownKey, message, at: node)
    }

    // MARK: Locations and errors

    private func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func line(of node: Node) -> Int { node.mark?.line ?? 1 }

    private func fail(_ code: GraphQLAPIError.Code, _ message: String, at node: Node) -> GraphQLAPIError {
        let mark = node.mark
        return GraphQLAPIError(code, message, location: .init(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1))
    }

    private func yamlError(_ error: any Error) -> GraphQLAPIError {
        guard let error = error as? YamlError else {
            return GraphQLAPIError(.yamlSyntax, "cannot parse the schema file: \(error)", location: .init(file: path, line: 1, column: 1))
        }
        func located(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> GraphQLAPIError {
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            message += "; check the indentation and quoting on this line"
            return GraphQLAPIError(.yamlSyntax, message, location: .init(file: path, line: mark.line, column: mark.column))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(problem, context, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let (line, column, parent) = duplicateKeyPosition(key: key, first: first)
            let kind =
                switch parent {
                case "sources": "source"
                case "enums": "enum"
                case "columns": "column"
                default: "key"
                }
            return GraphQLAPIError(
                .duplicateName, "\(kind) '\(key)' is declared twice (first at line \(first.line)); remove or rename one",
                location: .init(file: path, line: line, column: column))
        case .reader(let problem, _, _, _):
            return GraphQLAPIError(.yamlSyntax, "cannot read the schema file as YAML: \(problem); save it as UTF-8 text", location: .init(file: path, line: 1, column: 1))
        default:
            return GraphQLAPIError(.yamlSyntax, "cannot parse the schema file: \(error)", location: .init(file: path, line: 1, column: 1))
        }
    }

    /// Yams reports a duplicated key at its first occurrence; find the second one (the one to
    /// remove) by looking for the same key at the same column further down, and the key of the
    /// enclosing mapping (the nearest less-indented line above) to say what was duplicated.
    private func duplicateKeyPosition(key: String, first: Mark) -> (line: Int, column: Int, parent: String?) {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = first.column - 1
        func keyAt(_ line: Substring) -> (indent: Int, key: Substring)? {
            let trimmed = line.drop { $0 == " " }
            guard let colon = trimmed.firstIndex(of: ":"), !trimmed.hasPrefix("#") else { return nil }
            return (line.count - trimmed.count, trimmed[..<colon].trimmingCharacters(in: .whitespaces)[...])
        }
        var parent: String?
        var index = first.line - 2
        while index >= 0 {
            if let found = keyAt(lines[index]), found.indent < indent {
                parent = String(found.key)
                break
            }
            index -= 1
        }
        var lineIndex = first.line  // the line after the first occurrence (0-based)
        while lineIndex < lines.count {
            if let found = keyAt(lines[lineIndex]) {
                if found.indent < indent { break }
                if found.indent == indent, found.key == key[...] {
                    return (lineIndex + 1, indent + 1, parent)
                }
            }
            lineIndex += 1
        }
        return (first.line, first.column, parent)
    }
}

/// The candidate closest to `word` by edit distance (case-insensitive), when close enough to be
/// a plausible typo.
func closest(to word: String, among candidates: [String]) -> String? {
    let target = Array(word.lowercased().unicodeScalars)
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
        if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let limit = max(2, min(target.count, best.name.count) / 3)
    return best.distance <= limit ? best.name : nil
}

private func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
