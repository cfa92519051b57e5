[assembly: AssemblyFixture(typeof(BotRouter.BrowserTests.Infrastructure.ConsoleFixture))]
