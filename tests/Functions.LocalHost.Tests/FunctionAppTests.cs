using System.Text.Json.Nodes;

namespace Functions.LocalHost.Tests;

public sealed class FunctionAppTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("localhost-app-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(dir, name), content);

    [Fact]
    public void Settings_come_from_options_then_environment_then_local_settings()
    {
        Write("worker.config.json", """{ "description": { "defaultExecutablePath": "dotnet", "defaultWorkerPath": "App.dll", "workerIndexing": "true" } }""");
        Write("host.json", """{ "version": "2.0", "extensions": { "http": { "routePrefix": "" } } }""");
        var envName = "LOCALHOST_TEST_" + Guid.NewGuid().ToString("N");
        Write("local.settings.json", $$"""
            { "IsEncrypted": false, "Values": { "OnlyInFile": "file", "{{envName}}": "file", "Explicit": "file", "Number": 5 } }
            """);
        Environment.SetEnvironmentVariable(envName, "env");
        try
        {
            var explicitSettings = new Dictionary<string, string> { ["Explicit"] = "option" };

            var app = FunctionApp.Load(dir, explicitSettings);

            Assert.Equal("file", app.GetSetting("OnlyInFile"));
            Assert.Equal("env", app.GetSetting(envName));
            Assert.Equal("option", app.GetSetting("Explicit"));
            Assert.Equal("5", app.GetSetting("Number"));
            Assert.Equal(string.Empty, app.RoutePrefix);
            Assert.Equal(Path.Combine(dir, "App.dll"), app.WorkerPath);
            Assert.Equal("dotnet", app.Executable);
            Assert.True(app.WorkerIndexing);
        }
        finally
        {
            Environment.SetEnvironmentVariable(envName, null);
        }
    }

    [Fact]
    public void A_folder_without_worker_config_is_rejected_with_a_clear_error()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FunctionApp.Load(dir, new Dictionary<string, string>()));
        Assert.Contains("worker.config.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_properties_resolve_app_setting_references()
    {
        var settings = new Dictionary<string, string> { ["QueueName"] = "orders" };
        var binding = new BindingDescriptor(
            JsonNode.Parse("""{ "name": "msg", "type": "queueTrigger", "direction": "In", "queueName": "%QueueName%-in", "connection": "%Missing%" }""")!.AsObject(),
            name => settings.GetValueOrDefault(name));

        Assert.Equal("orders-in", binding.GetString("queueName"));
        Assert.True(binding.IsTrigger);
        var ex = Assert.Throws<InvalidOperationException>(() => binding.GetString("connection"));
        Assert.Contains("Missing", ex.Message, StringComparison.Ordinal);
    }
}
