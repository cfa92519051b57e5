using BotRouter.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace BotRouter.BrowserTests;

/// <summary>The simulator console in a real browser against the dev host: customer, bot and agent.</summary>
public sealed class ConsoleTests(ConsoleFixture fixture) : ConsoleTest(fixture)
{
    [Fact]
    public async Task A_customer_is_handed_to_an_agent_and_back_to_a_chosen_step_of_the_bot()
    {
        var number = NewCustomerNumber();
        await Page.GetByTestId("customer-number").FillAsync(number);

        // The customer greets the bot and picks a suggestion: the bot answers with the next step.
        await CustomerSaysAsync("hi");
        await Expect(Customer).ToContainTextAsync("What can I help you with?");
        var billing = Customer.GetByTestId("suggestion").Filter(new() { HasText = "Billing question" });
        await Expect(billing).ToBeVisibleAsync();
        await ScreenshotAsync("01-greeted");
        await billing.ClickAsync();
        await Expect(Customer).ToContainTextAsync("What is your billing question about?");
        await Expect(Customer.GetByTestId("suggestion").Filter(new() { HasText = "A wrong amount" })).ToBeVisibleAsync();
        await ScreenshotAsync("02-picked-a-suggestion");

        // Asking for a human: the chat appears in the agent pane with its team.
        await CustomerSaysAsync("Can I talk to a human please?");
        await Expect(Customer).ToContainTextAsync("connecting you with one of our colleagues");
        var handedOver = Page.GetByTestId("agent-handed-over").GetByTestId("agent-chat").Filter(new() { HasText = number });
        await Expect(handedOver).ToBeVisibleAsync();
        await Expect(handedOver.GetByTestId("agent-chat-team")).ToHaveTextAsync("team general");
        await handedOver.ClickAsync();
        await Expect(Page.GetByTestId("selected-team")).ToHaveTextAsync("team general");
        await Expect(Page.GetByTestId("state-bot")).ToHaveTextAsync("disabled");
        await Expect(Page.GetByTestId("state-agent")).ToHaveTextAsync("active");
        await Expect(Page.GetByTestId("timeline").Locator("[data-kind=mutation]")).ToContainTextAsync("disableComponent");
        await Expect(AgentTranscript).ToContainTextAsync("Can I talk to a human please?");
        await ScreenshotAsync("03-handed-over");

        // The agent answers; the customer sees it, and the customer's answer reaches the agent, not the bot.
        await AgentSaysAsync("Hi, this is Anna from billing. How can I help?");
        await Expect(Customer.Locator("[data-sender=agent]")).ToContainTextAsync("this is Anna from billing");
        await CustomerSaysAsync("My invoice shows the wrong amount");
        await Expect(AgentTranscript).ToContainTextAsync("My invoice shows the wrong amount");
        await Expect(Page.GetByTestId("customer-mode")).ToHaveTextAsync("talking to an agent");
        await ScreenshotAsync("04-agent-answered");

        // The agent hands back to a chosen step: the bot speaks again from there.
        await Page.GetByTestId("handback-step").SelectOptionAsync("orders/ask-number");
        await Page.GetByTestId("agent-handback").ClickAsync();
        await Expect(Customer.Locator("[data-sender=bot]").Last).ToContainTextAsync("Please type your order number");
        await Expect(Page.GetByTestId("customer-mode")).ToHaveTextAsync("talking to the bot");
        await Expect(Page.GetByTestId("state-position")).ToHaveTextAsync("orders / ask-number");
        await Expect(Page.GetByTestId("timeline").Locator("[data-kind=position]")).ToContainTextAsync("ask-number");
        await ScreenshotAsync("05-handed-back");

        await CustomerSaysAsync("AB-12345");
        await Expect(Customer.Locator("[data-sender=bot]").Filter(new() { HasText = "Order AB-12345 is on its way" })).ToBeVisibleAsync();
        await Expect(Customer.Locator("[data-sender=bot]").Last).ToContainTextAsync("anything else");
        await Expect(Page.GetByTestId("stat-rejected")).ToHaveTextAsync("0 rejected sends");
        await ScreenshotAsync("06-bot-again");
        AssertNoPageErrors();
    }

    [Fact]
    public async Task An_agent_takes_over_a_bot_chat_and_resets_it()
    {
        var number = NewCustomerNumber();
        await Page.GetByTestId("customer-channel").SelectOptionAsync("SMS");
        await Page.GetByTestId("customer-number").FillAsync(number);
        await CustomerSaysAsync("hello");
        await Expect(Customer).ToContainTextAsync("What can I help you with?");

        var chat = Page.GetByTestId("agent-with-bot").GetByTestId("agent-chat").Filter(new() { HasText = number });
        await chat.ClickAsync();
        await Expect(Page.GetByTestId("selected-mode")).ToHaveTextAsync("with the bot");
        await Expect(Page.GetByTestId("agent-chat-header")).Not.ToContainTextAsync("null");
        await Expect(Page.GetByTestId("state-agent")).ToHaveTextAsync("dormant");
        await Page.GetByTestId("agent-takeover").ClickAsync();
        await Expect(Page.GetByTestId("selected-mode")).ToHaveTextAsync("with an agent");
        await Expect(Page.GetByTestId("state-bot")).ToHaveTextAsync("disabled");

        await CustomerSaysAsync("1");
        await Expect(AgentTranscript).ToContainTextAsync("1");
        await Expect(Page.GetByTestId("customer-status")).ToContainTextAsync("Customer Contact");
        await ScreenshotAsync("01-taken-over");

        await Page.GetByTestId("agent-reset").ClickAsync();
        await Expect(Page.GetByTestId("selected-mode")).ToHaveTextAsync("with the bot");
        await Expect(Page.GetByTestId("timeline").Locator("[data-kind=reset]")).ToBeVisibleAsync();
        await CustomerSaysAsync("hi again");
        await Expect(Customer.GetByText("What can I help you with?")).ToHaveCountAsync(2);
        await Expect(Page.GetByTestId("stat-rejected")).ToHaveTextAsync("0 rejected sends");
        await ScreenshotAsync("02-reset");
        AssertNoPageErrors();
    }

    [Fact]
    public async Task The_console_is_live_and_offers_the_apps_flows_for_a_hand_back()
    {
        await Expect(Page.GetByTestId("live-status")).ToHaveTextAsync("live");
        await Expect(Page.GetByTestId("customer-channel")).ToHaveValueAsync("WhatsApp");
        await Expect(Page.GetByTestId("customer-number")).ToHaveValueAsync("+31612345678");
        await Expect(Page.Locator("[data-testid=handback-step] option[value='billing/topic']")).ToHaveCountAsync(1);
        await Expect(Page.Locator("[data-testid=handback-step] option[value='main/welcome']")).ToHaveCountAsync(1);
        AssertNoPageErrors();
    }
}
