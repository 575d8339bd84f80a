import JSON
import Journal
import Manifest
import ManifestDiagnostics
import OpenRouter
import Runner
import Support
import Tasks
import Testing
import TestSupport

@Suite struct ManifestExpansionTests {
    @Test func listsVarsAndCountMultiplyWithReadableNames() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let plan = try plan("""
            {"name": "Shop Shots", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}},
             "vars": {"product": ["mug", "lamp"]},
             "tasks": [{"id": "{product}", "prompt": "A {product}", "aspectRatio": ["1:1", "16:9"], "count": 2}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(plan.taskCount == 8)
        #expect(tasks.map(\.id) == [
            "mug-1x1-1", "mug-1x1-2", "mug-16x9-1", "mug-16x9-2",
            "lamp-1x1-1", "lamp-1x1-2", "lamp-16x9-1", "lamp-16x9-2",
        ])
        #expect(tasks[0].prompt == "A mug")
        #expect(tasks[4].prompt == "A lamp")
        #expect(tasks[2].aspectRatio == "16:9")
        #expect(tasks[3].variant == 2)
        #expect(tasks[0].model.wireID == "google/gemini-2.5-flash-image")
        #expect(tasks[0].output.folder == folder.path + "/out/Shop-Shots")
        #expect(tasks[3].output.path(index: nil, of: 1, fileExtension: "png") == folder.path + "/out/Shop-Shots/mug-16x9-2.png")
        #expect(tasks[3].output.path(index: 2, of: 3, fileExtension: "jpg") == folder.path + "/out/Shop-Shots/mug-16x9-2-2.jpg")
    }

    @Test func promptAndModelListsAndOutputTemplates() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let plan = try plan("""
            {"output": "set/a", "vars": {"style": ["ink", "oil paint"]},
             "tasks": [{"id": "fox", "prompt": ["a fox in {style}", "a wolf in {style}"],
                        "model": ["google/gemini-2.5-flash-image", "openrouter/black-forest-labs/flux.2-pro"],
                        "output": "{model}/{id}"}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(tasks.count == 8)
        #expect(tasks[0].id == "fox-ink-p1-gemini-2.5-flash-image")
        #expect(tasks[0].output.baseName == "gemini-2.5-flash-image/fox-ink-p1-gemini-2.5-flash-image")
        #expect(tasks[0].output.folder == folder.path + "/out/set/a")
        #expect(tasks[7].prompt == "a wolf in oil paint")
        #expect(tasks[7].model.wireID == "black-forest-labs/flux.2-pro")
        #expect(Set(tasks.map(\.id)).count == 8)
    }

    @Test func everyProblemIsReportedWithFileLineAndField() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = """
            {
              "name": "bad",
              "extra": true,
              "tasks": [
                {"id": "a", "prompt": "x", "model": "google/gemini-2.5-flash-image",
                 "aspectRatio": "7:3"},
                {"id": "b", "prompt": "", "model": "flux", "count": 0},
                {"id": "c", "prompt": "z", "model": "google/gemini-2.5-flash-image", "resolution": "0.5K", "colour": 1},
                {"id": "d", "prompt": "q {nope}", "model": "google/gemini-2.5-flash-image", "inputImages": ["../../etc/passwd"]}
              ]
            }
            """
        let error = try #require(throws: ManifestError.self) { try plan(manifest, in: folder) }
        let byField = Dictionary(grouping: error.issues, by: \.field)
        #expect(byField["extra"]?.first?.line == 3)
        #expect(byField["tasks[0].aspectRatio"]?.first?.line == 6)
        #expect(byField["tasks[0].aspectRatio"]?.first?.value == "\"7:3\"")
        #expect(byField["tasks[1].prompt"]?.first?.line == 7)
        #expect(byField["tasks[1].model"]?.first?.value == "\"flux\"")
        #expect(byField["tasks[1].count"] != nil)
        #expect(byField["tasks[2].resolution"]?.first?.message.contains("0.5K") == false)
        #expect(byField["tasks[2].resolution"]?.first?.value == "\"0.5K\"")
        #expect(byField["tasks[2].colour"]?.first?.line == 8)
        #expect(byField["tasks[3].prompt"]?.first?.value == "\"{nope}\"")
        #expect(byField["tasks[3].inputImages[0]"]?.first?.message.contains("outside") == true)
        #expect(error.issues.allSatisfy { $0.file.hasSuffix("m.json") })
        #expect(error.issues.count == 9)
    }

    @Test func clashingOutputPathsAreAnError() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {"defaults": {"image": {"model": "google/gemini-2.5-flash-image"}},
                 "tasks": [{"id": "same", "prompt": "a"}, {"id": "same", "prompt": "b"}]}
                """, in: folder)
        }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].message.contains("same file"))
    }

    @Test func invalidJSONNamesLineAndColumn() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) { try plan("{\n  \"tasks\": [\n    {\"id\": }\n  ]\n}", in: folder) }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].line == 3)
        #expect(error.issues[0].message.contains("invalid JSON"))
    }

    @Test func outputEscapingTheRootIsRefused() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"output": "../x", "tasks": [{"id": "a", "prompt": "p", "model": "a/b", "output": "/abs"}]}"#, in: folder)
        }
        #expect(Set(error.issues.map(\.field)) == ["output", "tasks[0].output"])
    }

    @Test func jsonlWithHeaderLineNamesLines() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let text = """
            {"defaults": {"image": {"model": "google/gemini-2.5-flash-image"}}, "name": "big"}
            {"id": "one", "prompt": "first"}

            {"id": "two", "prompt": "second", "aspectRatio": "3:2"}
            """
        let good = try plan(text, in: folder, name: "b.jsonl")
        #expect(imageTasks(good).map(\.id) == ["one", "two"])
        #expect(imageTasks(good)[1].origin.line == 4)
        let error = try #require(throws: ManifestError.self) {
            try plan(text + "\n{\"id\": \"three\", \"prompt\": \"x\", \"aspectRatio\": \"9:9\"}\n{broken", in: folder, name: "c.jsonl")
        }
        #expect(error.issues.map(\.line) == [5, 6])
    }

    /// A script line whose speaker the script does not name is looked for while validating,
    /// where warnings are told; the run's re-expansion of the entry does not scan the text again.
    @Test func onlyValidationLooksForSpeakersTheScriptDoesNotName() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("scene.txt", "ALICE: Who is there?\nBOB: Only me.\n")
        let plan = try plan(#"{"tasks": [{"id": "scene", "type": "tts", "textFile": "scene.txt", "voice": "af_bella", "dialogue": {"script": {"ALICE": "am_adam"}}}]}"#, in: folder)
        #expect(plan.validationWarnings.map(\.message).filter { $0.contains("starts \"BOB:\"") }.count == 1, "\(plan.validationWarnings)")

        let manifest = plan.manifests[0]
        let entry = manifest.entry(at: 0)
        let value = try entry.value.get()
        func warnings(of expander: TaskExpander) -> [ManifestIssue] {
            let collector = manifest.makeIssueCollector()
            let tasks = expander.expand(value, path: entry.path, line: entry.line, ordinal: 1, issues: collector)
            #expect(tasks.count == 1 && collector.issues.isEmpty, "\(collector.issues)")
            return collector.warnings
        }
        // As the run expands an entry again (`EntryExpander`), and as validation does.
        #expect(warnings(of: TaskExpander(header: manifest.header)).isEmpty)
        #expect(warnings(of: TaskExpander(header: manifest.header, findsWarnings: true)).map(\.message).filter { $0.contains("starts \"BOB:\"") }.count == 1)
    }
}

@Suite struct ModelRefTests {
    @Test func parsesTheThreeForms() {
        #expect(ModelRef("openrouter/google/gemini-2.5-flash-image")?.wireID == "google/gemini-2.5-flash-image")
        #expect(ModelRef("openrouter/auto")?.wireID == "openrouter/auto")
        #expect(ModelRef("openrouter/auto")?.isAuto == true)
        #expect(ModelRef("black-forest-labs/flux.2-pro")?.isImageOnly == true)
        #expect(ModelRef("flux") == nil)
        #expect(ModelRef("a//b") == nil)
        #expect(ModelRef("x/y/z") == nil)
    }
}

@Suite struct RequestKeyTests {
    @Test func keysFollowTheRequestNotTheWayItWasWritten() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        func key(_ task: String) throws -> String {
            let plan = try plan(#"{"tasks": [\#(task)]}"#, in: folder)
            return RunPlanner.identify(plan.allTasks()[0]).key
        }
        let base = try key(#"{"id": "a", "prompt": "p", "model": "a/b", "provider": {"order": ["x"], "sort": "price"}}"#)
        #expect(try key(#"{"provider": {"sort": "price", "order": ["x"]}, "model": "a/b", "prompt": "p", "id": "a"}"#) == base)
        #expect(try key(#"{"id": "a", "prompt": "p2", "model": "a/b", "provider": {"order": ["x"], "sort": "price"}}"#) != base)
        #expect(try key(#"{"id": "b", "prompt": "p", "model": "a/b", "provider": {"order": ["x"], "sort": "price"}}"#) != base)
        #expect(try key(#"{"id": "a", "prompt": "p", "model": "a/b", "provider": {"order": ["x"], "sort": "latency"}}"#) != base)
        // Length prefixes keep neighbouring strings apart: "ab"+"c" is not "a"+"bc".
        var one: [UInt8] = []
        var two: [UInt8] = []
        RequestKey.canonical(["ab", "c"], into: &one)
        RequestKey.canonical(["a", "bc"], into: &two)
        #expect(one != two)
    }

    /// The plain image tasks' keys are written without a JSON tree: the bytes, hence the
    /// keys earlier runs' journals hold, are those of the tree.
    @Test func plainKeysAreTheTreeKeys() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let tasks = [
            #"{"id": "a", "prompt": "p", "model": "a/b"}"#,
            #"{"id": "a", "prompt": "A watercolor, \"quoted\" and crème brûlée ✓", "model": "openrouter/google/gemini-2.5-flash-image", "aspectRatio": "16:9", "resolution": "1K"}"#,
            #"{"id": "sub/b", "prompt": "p", "model": "openrouter/google/gemini-3.1-flash-image-preview", "aspectRatio": "1:1"}"#,
            #"{"id": "c", "prompt": "p", "model": "openrouter/google/gemini-3.1-flash-image-preview", "resolution": "2K"}"#,
            #"{"id": "d", "prompt": "q", "model": "openrouter/auto"}"#,
            #"{"id": "e", "prompt": "p", "model": "a/b", "count": 3}"#,
            #"{"id": "f", "prompt": "p", "model": "a/b", "provider": {"order": ["x"]}}"#,
            #"{"id": "g", "prompt": "p", "model": "a/b", "imageConfig": {"aspect_ratio": "1:1"}}"#,
        ]
        var plain = 0
        for json in tasks {
            let plan = try plan(#"{"tasks": [\#(json)]}"#, in: folder)
            for task in plan.allTasks() {
                guard case .image(let image) = task else { Issue.record("not an image task: \(json)"); continue }
                for stamps in [[], ["/x/ref.png 12 1700000000.5"], ["a", "b"]] {
                    let tree = RequestKey.treeKey(image, referenceStamps: stamps)
                    if let key = RequestKey.plainImageKey(image, referenceStamps: stamps) {
                        plain += 1
                        #expect(key == tree, "\(json)")
                    }
                    #expect(RequestKey.of(task, referenceStamps: stamps) == tree, "\(json)")
                }
            }
        }
        #expect(plain > 0)
    }

    @Test func shardsPartitionTheKeys() {
        let keys = (0..<400).map { SHA256.hex("task \($0)") }
        for count in 1...8 {
            var seen = 0
            for index in 0..<count {
                let shard = Shard(index: index, count: count)!
                seen += keys.filter { shard.contains(key: $0) }.count
            }
            #expect(seen == keys.count)
            for key in keys {
                #expect((0..<count).filter { Shard(index: $0, count: count)!.contains(key: key) }.count == 1)
            }
        }
        #expect(Shard("2/8") == Shard(index: 2, count: 8))
        #expect(Shard("8/8") == nil)
        #expect(Shard("x/2") == nil)
    }
}

@Suite struct ManifestLimitTests {
    @Test func anEntryThatWouldExplodeIsAnErrorNotAnOutOfMemory() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let values = (0..<400).map { "\"v\($0)\"" }.joined(separator: ",")
        let manifest = """
            {"vars": {"a": [\(values)], "b": [\(values)], "c": [\(values)]},
             "tasks": [{"id": "{a}-{b}-{c}", "prompt": "p", "model": "x/y", "count": 100}]}
            """
        let error = try #require(throws: ManifestError.self) { try plan(manifest, in: folder) }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].message.contains("more than the 100000"))
        #expect(error.issues[0].field == "tasks[0]")
    }

    @Test func theDefaultNameIsTheFileNameWithoutItsLastExtension() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let entry = #"{"id": "a", "prompt": "x", "model": "google/gemini-2.5-flash-image"}"# + "\n"
        let first = try plan(entry, in: folder, name: "batch.part1.jsonl")
        let second = try plan(entry, in: folder, name: "batch.part2.jsonl")
        #expect(first.manifests[0].header.name == "batch.part1")
        #expect(first.manifests[0].header.outputFolder != second.manifests[0].header.outputFolder)
    }
}
