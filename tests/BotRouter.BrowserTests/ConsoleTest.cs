using BotRouter.BrowserTests.Infrastructure;
using Microsoft.Playwright;

namespace BotRouter.BrowserTests;

/// <summary>A fresh browser context and page on the simulator console per test; screenshots per stage.</summary>
public abstract class ConsoleTest(ConsoleFixture fixture) : IAsyncLifetime
{
    private readonly List<string> pageErrors = [];
    private IBrowserContext? context;

    static ConsoleTest()
    {
        // Replies go through the app's queues (polling), so allow more than Playwright's 5 s default.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    protected ConsoleFixture Fixture => fixture;

    protected IPage Page { get; private set; } = null!;

    protected ILocator Customer => Page.GetByTestId("customer-transcript");

    protected ILocator AgentTranscript => Page.GetByTestId("agent-transcript");

    /// <summary>A phone number no other test uses, so each test has its own chats.</summary>
    protected static string NewCustomerNumber() => "+316" + Random.Shared.Next(10_000_000, 99_999_999);

    public async ValueTask InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "en-GB",
        });
        Page = await context.NewPageAsync();
        Page.PageError += (_, error) => pageErrors.Add(error);
        Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                pageErrors.Add($"{message.Text} ({message.Location})");
            }
        };
        await Page.GotoAsync(fixture.SimulatorUrl);
        await Assertions.Expect(Page.GetByTestId("live-status")).ToHaveAttributeAsync("data-mode", "on");
    }

    public async ValueTask DisposeAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected async Task CustomerSaysAsync(string text)
    {
        await Page.GetByTestId("customer-input").FillAsync(text);
        await Page.GetByTestId("customer-send").ClickAsync();
    }

    protected async Task AgentSaysAsync(string text)
    {
        await Page.GetByTestId("agent-input").FillAsync(text);
        await Page.GetByTestId("agent-send").ClickAsync();
    }

    /// <summary>Saves <c>TestResults/screenshots/{test}-{stage}.png</c>.</summary>
    protected async Task ScreenshotAsync(string stage)
    {
        var test = TestContext.Current.TestMethod?.MethodName ?? GetType().Name;
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.ScreenshotDirectory, $"{test}-{stage}.png") });
    }

    /// <summary>The page threw no script error and logged none.</summary>
    protected void AssertNoPageErrors() => Assert.Empty(pageErrors);
}
