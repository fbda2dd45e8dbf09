using System.Collections.Generic;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ArenaGrad.Package.Tests;

/// <summary>
/// The packages as a studio gets them: <c>dotnet pack</c> of ArenaGrad, ArenaGrad.Testing and ArenaGrad.Onnx into a
/// local folder (once, shared by every test here), what the packages hold, and fresh console apps that restore them
/// from that folder beside the machine's usual feed and run the README's first example and an ONNX round trip.
/// </summary>
/// <remarks>The packages get a version of their own (the project's, plus a unique prerelease tag), so NuGet's global
/// cache can never serve a package packed by an earlier run; the folders it extracts them to are deleted afterwards
/// with the temporary folder.</remarks>
[NonParallelizable]
public sealed partial class PackageTests
{
    /// <summary>The frameworks both libraries target: one lib/ folder each in the packages.</summary>
    private static readonly string[] LibraryFrameworks = ["net8.0", "net10.0"];

    private static readonly string[] PackageIds = ["ArenaGrad", "ArenaGrad.Testing", "ArenaGrad.Onnx"];

    private string _repository = "";
    private string _root = "";
    private string _feed = "";
    private string _version = "";
    private readonly HashSet<string> _globalPackageFolders = [];

    [OneTimeSetUp]
    public void PackIntoLocalFeed()
    {
        _repository = FindRepositoryRoot();
        _root = Path.Combine(Path.GetTempPath(), "arenagrad-package-" + Guid.NewGuid().ToString("N"));
        _feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(_feed);
        string engineProject = Path.Combine(_repository, "engine", "ArenaGrad.csproj");
        _version = $"{ProjectVersion(engineProject)}-packtest.{Guid.NewGuid():N}";

        // The build configuration of this test assembly, so the packs reuse what `dotnet test` just built.
        string configuration = typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        foreach (string project in new[]
                 {
                     engineProject,
                     Path.Combine(_repository, "engine", "Testing", "ArenaGrad.Testing.csproj"),
                     Path.Combine(_repository, "engine", "Onnx", "ArenaGrad.Onnx.csproj"),
                 })
            DotnetCli.RunChecked(_repository, "pack", project, "-c", configuration, "-o", _feed, "-p:PackageVersion=" + _version);
    }

    [OneTimeTearDown]
    public void DeleteFeedAppsAndCachedCopies()
    {
        foreach (string packages in _globalPackageFolders)
            foreach (string id in PackageIds)
            {
                string extracted = Path.Combine(packages, id.ToLowerInvariant(), _version.ToLowerInvariant());
                if (Directory.Exists(extracted)) Directory.Delete(extracted, recursive: true);
            }
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Test]
    public void ArenaGradPackage_HoldsEachFrameworksAssemblyAndXmlDocsThePackageReadmeAndLicense()
    {
        string package = AssertHoldsLibraryAndDocs("ArenaGrad");

        XElement metadata = Nuspec(package);
        Assert.Multiple(() =>
        {
            Assert.That(Child(metadata, "id").Value, Is.EqualTo("ArenaGrad"));
            Assert.That(Child(metadata, "version").Value, Is.EqualTo(_version));
            Assert.That(Child(metadata, "license").Value, Is.EqualTo("MIT"));
            Assert.That(Child(metadata, "license").Attribute("type")?.Value, Is.EqualTo("expression"));
            Assert.That(Child(metadata, "readme").Value, Is.EqualTo("PACKAGE.md"));
            Assert.That(Child(metadata, "description").Value, Is.Not.Empty);
            Assert.That(EntryText(package, "LICENSE"), Does.StartWith("MIT License"));
            Assert.That(EntryText(package, "PACKAGE.md"), Does.StartWith("# ArenaGrad"));
            foreach (string framework in LibraryFrameworks)
                Assert.That(EntryText(package, $"lib/{framework}/ArenaGrad.xml"), Does.Contain("<member name=\"T:ArenaGrad.Arena\">"),
                    $"{framework}: the XML docs document the public types");
        });
    }

    [Test]
    public void ArenaGradTestingPackage_HoldsEachFrameworksAssemblyAndXmlDocsAndDependsOnTheSameArenaGradVersion()
    {
        string package = AssertHoldsLibraryAndDocs("ArenaGrad.Testing");

        XElement metadata = Nuspec(package);
        AssertDependsOnThisArenaGradAnd(metadata, "NUnit", exactly: false);
    }

    [Test]
    public void ArenaGradOnnxPackage_HoldsEachFrameworksAssemblyAndXmlDocsAndDependsOnTheSameArenaGradAndProtobuf()
    {
        string package = AssertHoldsLibraryAndDocs("ArenaGrad.Onnx");

        XElement metadata = Nuspec(package);
        Assert.Multiple(() =>
        {
            Assert.That(Child(metadata, "id").Value, Is.EqualTo("ArenaGrad.Onnx"));
            Assert.That(Child(metadata, "version").Value, Is.EqualTo(_version));
            Assert.That(Child(metadata, "license").Value, Is.EqualTo("MIT"));
            Assert.That(Child(metadata, "readme").Value, Is.EqualTo("PACKAGE.md"));
            Assert.That(EntryText(package, "PACKAGE.md"), Does.StartWith("# ArenaGrad.Onnx"));
            foreach (string framework in LibraryFrameworks)
                Assert.That(EntryText(package, $"lib/{framework}/ArenaGrad.Onnx.xml"), Does.Contain("<member name=\"T:ArenaGrad.IO.Onnx\">"),
                    $"{framework}: the XML docs document the public types");
        });

        // Build-time tools (Grpc.Tools' protoc, the API analyzer) stay out: a consumer restores only the runtime pieces.
        // Exactly this engine version: ArenaGrad.Onnx calls engine internals, which may change in any release.
        AssertDependsOnThisArenaGradAnd(metadata, "Google.Protobuf", exactly: true);
    }

    /// <summary>Checks that package <paramref name="id"/> holds exactly its nuspec, licence, readme, and each framework's
    /// assembly and XML docs; returns its path.</summary>
    private string AssertHoldsLibraryAndDocs(string id)
    {
        string package = PackagePath(id, ".nupkg");
        string[] expected =
        [
            $"{id}.nuspec", "LICENSE", "PACKAGE.md",
            .. LibraryFrameworks.SelectMany(f => new[] { $"lib/{f}/{id}.dll", $"lib/{f}/{id}.xml" }),
        ];
        Assert.That(ContentEntries(package), Is.EquivalentTo(expected));
        return package;
    }

    /// <summary>Each framework's dependency group is exactly ArenaGrad (the version packed with it: that version or later,
    /// or <paramref name="exactly"/> that version) plus <paramref name="other"/>.</summary>
    private void AssertDependsOnThisArenaGradAnd(XElement metadata, string other, bool exactly)
    {
        XElement[] groups = Child(metadata, "dependencies").Elements().Where(e => e.Name.LocalName == "group").ToArray();
        Assert.That(groups.Select(g => TargetMoniker(g.Attribute("targetFramework")?.Value)), Is.EquivalentTo(LibraryFrameworks));
        foreach (XElement group in groups)
        {
            var dependencies = group.Elements().ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
            Assert.That(dependencies.Keys, Is.EquivalentTo(new[] { "ArenaGrad", other }), group.ToString());
            Assert.That(dependencies["ArenaGrad"], Is.EqualTo(exactly ? $"[{_version}]" : _version), "depends on the engine packed with it");
        }
    }

    [TestCase("ArenaGrad")]
    [TestCase("ArenaGrad.Testing")]
    [TestCase("ArenaGrad.Onnx")]
    public void SymbolPackage_HoldsEachFrameworksPdb(string id)
    {
        string symbols = PackagePath(id, ".snupkg");
        Assert.That(ContentEntries(symbols), Is.EquivalentTo(
            LibraryFrameworks.Select(f => $"lib/{f}/{id}.pdb").Append($"{id}.nuspec")));
        using ZipArchive archive = ZipFile.OpenRead(symbols);
        foreach (string framework in LibraryFrameworks)
        {
            using Stream pdb = archive.GetEntry($"lib/{framework}/{id}.pdb")!.Open();
            byte[] signature = new byte[4];
            pdb.ReadExactly(signature);
            Assert.That(signature, Is.EqualTo("BSJB"u8.ToArray()), $"{framework}: a portable PDB (metadata signature BSJB)");
        }
    }

    /// <summary>A console app made from scratch outside the repository (no Directory.Build files, no project
    /// references), with ArenaGrad and ArenaGrad.Testing from the local feed: the README's first example builds with
    /// warnings as errors and prints what the README's comments say, on the runtime of that framework.</summary>
    /// <remarks>Only the .NET 10 runtime is installed, so the net8.0 app is self-contained: it carries the .NET 8
    /// runtime that NuGet restores. It sets C# 13 because net8.0 defaults to C# 12, where <c>Reshape(-1, 3)</c> does
    /// not compile (a <c>params ReadOnlySpan&lt;int&gt;</c> takes separate arguments from C# 13 on; C# 12 needs
    /// <c>Reshape([-1, 3])</c>).</remarks>
    [TestCase("net10.0", false, null)]
    [TestCase("net8.0", true, "13")]
    public void ReadmeExample_InAFreshConsoleApp_BuildsFromThePackagesAndPrintsWhatTheReadmeSays(
        string framework, bool selfContained, string? languageVersion)
    {
        string app = CreateApp("app-" + framework, framework, languageVersion, $"""
            <PackageReference Include="ArenaGrad" Version="{_version}" />
                <PackageReference Include="ArenaGrad.Testing" Version="{_version}" />
            """);
        // The example as the README has it, then lines that print what its comments claim.
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeExample() + """

            System.Console.WriteLine(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
            System.Console.WriteLine(lis);
            System.Console.WriteLine(z.RequiresGrad);
            System.Console.WriteLine(total);
            System.Console.WriteLine(g);
            System.Console.WriteLine(x.Grad is null && y.Grad is null && z.Grad is null);
            // The allocation kit, outside a test runner: it sees a 24-byte object made per call.
            System.Console.WriteLine(ArenaGrad.Testing.Allocates.Nothing.WithWarmup(10, System.TimeSpan.Zero).ApplyTo(() => new object()).IsSuccess);
            """);

        (CommandResult run, string[] lines) = BuildAndRun(app, framework, selfContained);
        Assert.That(string.Join('\n', lines[1..]), Is.EqualTo("""
            tensor([[1., 2., 3.],
                    [4., 5., 6.]])
            False
            tensor([3.], grad_fn=<AddBackward0>)
            tensor([1.])
            True
            False
            """.ReplaceLineEndings("\n")), run.Describe());
    }

    /// <summary>Builds the app (self-contained for <paramref name="selfContained"/>), runs it, checks it exited 0 on
    /// <paramref name="framework"/>'s runtime (its first output line), and returns the run and its output lines.</summary>
    private (CommandResult Run, string[] Lines) BuildAndRun(string app, string framework, bool selfContained)
    {
        string output = Path.Combine(app, "out");
        List<string> build = ["build", "-c", "Release", "-o", output];
        if (selfContained) build.AddRange(["-r", RuntimeInformation.RuntimeIdentifier, "--self-contained"]);
        DotnetCli.RunChecked(app, [.. build]);
        RememberGlobalPackagesFolder(app);

        // Self-contained: the app's own apphost and the runtime it carries; otherwise the machine's runtime.
        CommandResult run = selfContained
            ? DotnetCli.RunProgram(Path.Combine(output, "Consumer"), app)
            : DotnetCli.Run(app, Path.Combine(output, "Consumer.dll"));
        Assert.That(run.ExitCode, Is.Zero, run.Describe());

        string[] lines = run.Output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.That(lines[0], Does.StartWith($".NET {framework["net".Length..]}."), "the runtime the app ran on");
        return (run, lines);
    }

    /// <summary>A fresh console app with ArenaGrad.Onnx from the local feed (ArenaGrad comes with it as its dependency,
    /// Google.Protobuf from the machine's feed): it saves a small model with Onnx.Save, loads the file back with Onnx.Load,
    /// and prints whether both give the same outputs and the parameter names survived. net8.0 self-contained, as the
    /// README app (only the .NET 10 runtime is installed).</summary>
    [TestCase("net10.0", false)]
    [TestCase("net8.0", true)]
    public void OnnxRoundTrip_InAFreshConsoleApp_BuildsFromThePackageAndReproducesTheModel(string framework, bool selfContained)
    {
        string app = CreateApp("app-onnx-" + framework, framework, null, """<PackageReference Include="ArenaGrad.Onnx" Version="{version}" />""");
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using ArenaGrad;
            using ArenaGrad.IO;
            using ArenaGrad.Nn;

            using var arena = new Arena(new ArenaOptions { Seed = 7 });
            var model = new Sequential(new Linear(arena, 3, 5), new Tanh(), new Linear(arena, 5, 2));
            Tensor x = arena.FromData([1f, 2f, 3f, -1f, 0.5f, 0f], [2, 3]);
            string path = Path.Combine(AppContext.BaseDirectory, "model.onnx");
            Onnx.Save(model, x, path);
            Module loaded = Onnx.Load(arena, path);
            float[] expected = model.Forward(x).ToArray(), actual = loaded.Forward(x).ToArray();
            float largest = 0f;
            for (int i = 0; i < expected.Length; i++) largest = MathF.Max(largest, MathF.Abs(expected[i] - actual[i]));
            Console.WriteLine(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
            Console.WriteLine(string.Join(", ", loaded.NamedParameters().Select(p => p.Name)));
            Console.WriteLine(expected.Length == 4 && largest <= 1e-6f ? "outputs match" : $"outputs differ by {largest}");
            """);

        (CommandResult run, string[] lines) = BuildAndRun(app, framework, selfContained);
        Assert.That(lines[1..], Is.EqualTo(new[] { "0.weight, 0.bias, 2.weight, 2.bias", "outputs match" }), run.Describe());
    }

    /// <summary>An empty app folder with a nuget.config adding the local feed and a warnings-as-errors project whose
    /// package references are <paramref name="packageReferences"/> (<c>{version}</c> stands for the packed version).</summary>
    private string CreateApp(string name, string framework, string? languageVersion, string packageReferences)
    {
        string app = Path.Combine(_root, name);
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <!-- Adds the local feed to the sources this machine already has (nuget.org): no <clear />. -->
            <configuration>
              <packageSources>
                <add key="arenagrad-local" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{framework}</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>{(languageVersion is null ? "" : $"\n    <LangVersion>{languageVersion}</LangVersion>")}
              </PropertyGroup>
              <ItemGroup>
                {packageReferences.Replace("{version}", _version, StringComparison.Ordinal)}
              </ItemGroup>
            </Project>
            """);
        return app;
    }

    /// <summary>The code of the first csharp block under the README's "## Example" heading.</summary>
    private string ReadmeExample()
    {
        string readme = File.ReadAllText(Path.Combine(_repository, "README.md")).ReplaceLineEndings("\n");
        Match example = ReadmeExamplePattern().Match(readme);
        Assert.That(example.Success, Is.True, "README.md has a ```csharp block under \"## Example\"");
        return example.Groups["code"].Value;
    }

    [GeneratedRegex(@"^## Example\n(?:(?!^## ).)*?^```csharp\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ReadmeExamplePattern();

    /// <summary>Where restore extracted the app's packages (NuGet's global folder, as this machine configures it),
    /// read from the restore's own record, so the teardown deletes this run's copies there.</summary>
    private void RememberGlobalPackagesFolder(string app)
    {
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        foreach (JsonProperty folder in assets.RootElement.GetProperty("packageFolders").EnumerateObject())
            _globalPackageFolders.Add(folder.Name);
    }

    private string PackagePath(string id, string extension)
    {
        string path = Path.Combine(_feed, $"{id}.{_version}{extension}");
        Assert.That(File.Exists(path), Is.True, $"dotnet pack wrote {path}");
        return path;
    }

    /// <summary>The package's files, without the OPC bookkeeping every package has.</summary>
    private static string[] ContentEntries(string package)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        return archive.Entries.Select(e => e.FullName)
            .Where(name => !name.StartsWith("_rels/", StringComparison.Ordinal)
                && !name.StartsWith("package/", StringComparison.Ordinal)
                && name != "[Content_Types].xml")
            .ToArray();
    }

    private static string EntryText(string package, string entry)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        using var reader = new StreamReader(archive.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    private static XElement Nuspec(string package)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        ZipArchiveEntry nuspec = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return Child(XDocument.Load(stream).Root!, "metadata");
    }

    private static XElement Child(XElement parent, string localName) =>
        parent.Elements().SingleOrDefault(e => e.Name.LocalName == localName)
        ?? throw new AssertionException($"<{parent.Name.LocalName}> has no <{localName}>");

    /// <summary>".NETCoreApp10.0" (how a nuspec names it) to "net10.0".</summary>
    private static string TargetMoniker(string? nuspecFramework) =>
        nuspecFramework is not null && nuspecFramework.StartsWith(".NETCoreApp", StringComparison.Ordinal)
            ? "net" + nuspecFramework[".NETCoreApp".Length..]
            : nuspecFramework ?? "(none)";

    private static string ProjectVersion(string project) =>
        XDocument.Load(project).Descendants("Version").Select(v => v.Value).FirstOrDefault()
        ?? throw new AssertionException($"{project} sets no <Version>");

    /// <summary>The folder holding ArenaGrad.sln, above this test assembly's output folder.</summary>
    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ArenaGrad.sln"))) return folder.FullName;
        throw new AssertionException($"no ArenaGrad.sln above {AppContext.BaseDirectory}");
    }
}
