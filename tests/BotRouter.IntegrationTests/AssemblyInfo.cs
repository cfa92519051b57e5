[assembly: AssemblyFixture(typeof(BotRouter.IntegrationTests.Infrastructure.AzuriteFixture))]
