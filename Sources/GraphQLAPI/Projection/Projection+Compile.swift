import GraphQL
import LiveViews
import OrderedCollections

extension Projection {
    /// Compiles the selection of a subscription's root field.
    ///
    /// - Parameters:
    ///   - responseKey: the root field's alias or name, the key of the event under `data`.
    ///   - rootFields: every root field node with that response key (merged as GraphQL merges them).
    ///   - fragments: the document's fragment definitions by name.
    ///   - variables: the operation's coerced variable values, for `@include` / `@skip`.
    /// - Throws: `GraphQLError` (with locations) for selections that validation lets through but
    ///   that cannot be executed: conflicting fields under one response key, a directive
    ///   condition that is not a boolean.
    public init(
        responseKey: String, rootFields: [Field], fragments: [String: FragmentDefinition],
        variables: [String: Map], source: SourceDefinition
    ) throws(GraphQLError) {
        var compiler = Compiler(fragments: fragments, variables: variables, source: source)
        var steps: [Step] = []
        steps.append(.literal(Array(#"{"data":{"#.utf8)))
        steps.append(.literal(Compiler.key(responseKey)))
        try compiler.compileUpdate(rootFields, into: &steps)
        steps.append(.literal(Array("}}".utf8)))
        self.init(
            steps: steps, schema: source.schema, selectedColumns: compiler.selectedColumns,
            selectsFields: compiler.selectsFields)
    }
}

/// Turns the AST of a `<source>Update` selection into ``Projection/Step``s.
private struct Compiler {
    let fragments: [String: FragmentDefinition]
    let variables: [String: Map]
    let source: SourceDefinition
    var selectedColumns = ColumnSet()
    var selectsFields = false

    init(fragments: [String: FragmentDefinition], variables: [String: Map], source: SourceDefinition) {
        self.fragments = fragments
        self.variables = variables
        self.source = source
    }

    /// `"name":` as bytes.
    static func key(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.writeString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        return bytes
    }

    /// The `<source>Update` object: `operation`, `data`, `fields`, `__typename`.
    mutating func compileUpdate(_ fields: [Field], into steps: inout [Projection.Step]) throws(GraphQLError) {
        let typeName = GeneratedNames.updateType(source.name)
        let collected = try collectSubfields(fields, typeName: typeName)
        steps.append(.literal([UInt8(ascii: "{")]))
        for (index, (responseKey, nodes)) in collected.enumerated() {
            steps.append(.literal((index > 0 ? [UInt8(ascii: ",")] : []) + Self.key(responseKey)))
            switch nodes[0].name.value {
            case "__typename":
                steps.append(.literal(Self.stringLiteral(typeName)))
            case "operation":
                steps.append(.operation)
            case "fields":
                selectsFields = true
                steps.append(.fields)
            case "data":
                try compileRow(nodes, into: &steps)
            case let other:
                throw GraphQLError(
                    message: "Cannot query field \"\(other)\" on type \"\(typeName)\".", nodes: [nodes[0]])
            }
        }
        steps.append(.literal([UInt8(ascii: "}")]))
    }

    /// The row object under `data`: columns and `__typename`.
    mutating func compileRow(_ fields: [Field], into steps: inout [Projection.Step]) throws(GraphQLError) {
        let typeName = GeneratedNames.sourceType(source.name)
        let collected = try collectSubfields(fields, typeName: typeName)
        steps.append(.literal([UInt8(ascii: "{")]))
        for (index, (responseKey, nodes)) in collected.enumerated() {
            steps.append(.literal((index > 0 ? [UInt8(ascii: ",")] : []) + Self.key(responseKey)))
            let name = nodes[0].name.value
            if name == "__typename" {
                steps.append(.literal(Self.stringLiteral(typeName)))
            } else if let column = source.schema.columnIndex(named: name) {
                selectedColumns.insert(column)
                steps.append(.column(column))
            } else {
                throw GraphQLError(
                    message: "Cannot query field \"\(name)\" on type \"\(typeName)\".", nodes: [nodes[0]])
            }
        }
        steps.append(.literal([UInt8(ascii: "}")]))
    }

    static func stringLiteral(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.writeString(text, to: &bytes)
        return bytes
    }

    /// The spec's CollectSubfields: the selection sets of every node of a merged field, collected
    /// in order into response keys (https://spec.graphql.org/October2021/#CollectSubfields).
    func collectSubfields(_ fields: [Field], typeName: String) throws(GraphQLError)
        -> OrderedDictionary<String, [Field]> {
        var collected = OrderedDictionary<String, [Field]>()
        var visited = Set<String>()
        for field in fields {
            guard let selectionSet = field.selectionSet else { continue }
            try collect(selectionSet, typeName: typeName, into: &collected, visited: &visited)
        }
        for (responseKey, nodes) in collected {
            let name = nodes[0].name.value
            if let other = nodes.first(where: { $0.name.value != name }) {
                // OverlappingFieldsCanBeMerged, which GraphQLSwift's validation does not run.
                throw GraphQLError(
                    message: "Fields \"\(responseKey)\" conflict because \"\(name)\" and \"\(other.name.value)\" are different fields. Use different aliases on the fields to fetch both if this was intentional.",
                    nodes: [nodes[0], other])
            }
        }
        return collected
    }

    /// The spec's CollectFields (https://spec.graphql.org/October2021/#CollectFields), as
    /// GraphQLSwift's executor runs it: a fragment is expanded once per merged selection.
    func collect(
        _ selectionSet: SelectionSet, typeName: String, into collected: inout OrderedDictionary<String, [Field]>,
        visited: inout Set<String>
    ) throws(GraphQLError) {
        for selection in selectionSet.selections {
            if let field = selection as? Field {
                guard try include(field.directives) else { continue }
                collected[field.alias?.value ?? field.name.value, default: []].append(field)
            } else if let fragment = selection as? InlineFragment {
                guard try include(fragment.directives),
                    fragment.typeCondition.map({ $0.name.value == typeName }) ?? true
                else { continue }
                try collect(fragment.selectionSet, typeName: typeName, into: &collected, visited: &visited)
            } else if let spread = selection as? FragmentSpread {
                let name = spread.name.value
                guard !visited.contains(name), try include(spread.directives) else { continue }
                visited.insert(name)
                guard let fragment = fragments[name], fragment.typeCondition.name.value == typeName else { continue }
                try collect(fragment.selectionSet, typeName: typeName, into: &collected, visited: &visited)
            }
        }
    }

    /// `@skip(if:)` wins over `@include(if:)`; a selection is left out only for an explicit
    /// `true` / `false`, as GraphQLSwift decides it.
    func include(_ directives: [Directive]) throws(GraphQLError) -> Bool {
        for directive in directives where directive.name.value == "skip" {
            if try condition(directive) == true { return false }
        }
        for directive in directives where directive.name.value == "include" {
            if try condition(directive) == false { return false }
        }
        return true
    }

    private func condition(_ directive: Directive) throws(GraphQLError) -> Bool? {
        guard let argument = directive.arguments.first(where: { $0.name.value == "if" }) else {
            throw GraphQLError(message: "Directive \"@\(directive.name.value)\" needs its \"if\" argument.", nodes: [directive])
        }
        if let literal = argument.value as? BooleanValue { return literal.value }
        if let variable = argument.value as? Variable {
            switch variables[variable.name.value] {
            case .bool(let value)?: return value
            case .null?, .undefined?, nil: return nil
            case .some:
                break
            }
        }
        throw GraphQLError(
            message: "Directive \"@\(directive.name.value)\" argument \"if\" must be a Boolean.", nodes: [argument])
    }
}
