using BotRouter.Core.Flows;

namespace BotRouter.UnitTests;

public class FlowBotTests
{
    private static readonly Dictionary<string, string> NoVariables = [];
    private readonly FlowBot bot = new(FlowSetValidator.LoadDefault());

    [Fact]
    public void First_message_gets_the_greeting_of_the_first_flow_with_its_choices()
    {
        var turn = bot.Respond(null, null, NoVariables, "hello");

        var say = Assert.IsType<Say>(Assert.Single(turn.Actions));
        Assert.Equal(("main", "welcome"), (turn.FlowId, turn.StepId));
        Assert.StartsWith("Hi!", say.Text, StringComparison.Ordinal);
        Assert.Equal(["Track my order", "Billing question", "Talk to a person"], say.Suggestions);
    }

    [Theory]
    [InlineData("Track my order")]
    [InlineData("track MY ORDER")]
    [InlineData("where is my parcel?")]
    [InlineData("1")]
    public void A_menu_choice_by_label_keyword_or_number_moves_to_its_step(string text)
    {
        var turn = bot.Respond("main", "welcome", NoVariables, text);

        Assert.Equal(("orders", "ask-number"), (turn.FlowId, turn.StepId));
        Assert.Contains("order number", Assert.IsType<Say>(Assert.Single(turn.Actions)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_input_gets_a_fallback_that_repeats_the_question_and_keeps_the_position()
    {
        var turn = bot.Respond("main", "welcome", NoVariables, "what is the weather?");

        var say = Assert.IsType<Say>(Assert.Single(turn.Actions));
        Assert.Equal(("main", "welcome"), (turn.FlowId, turn.StepId));
        Assert.StartsWith("Sorry", say.Text, StringComparison.Ordinal);
        Assert.NotEmpty(say.Suggestions);
    }

    [Fact]
    public void Empty_message_is_never_answered_with_silence()
    {
        var turn = bot.Respond("main", "welcome", NoVariables, null);

        Assert.IsType<Say>(Assert.Single(turn.Actions));
    }

    [Fact]
    public void Valid_free_text_is_saved_and_used_in_the_next_prompts_which_chain_on()
    {
        var turn = bot.Respond("orders", "ask-number", NoVariables, "AB-12345");

        Assert.Equal("AB-12345", turn.Variables["orderNumber"]);
        Assert.Equal(("main", "anything-else"), (turn.FlowId, turn.StepId));
        var says = turn.Actions.Cast<Say>().ToList();
        Assert.Equal(2, says.Count);
        Assert.Contains("Order AB-12345 is on its way", says[0].Text, StringComparison.Ordinal);
        Assert.Equal(["Yes", "No, thanks"], says[1].Suggestions);
    }

    [Fact]
    public void Invalid_free_text_gets_the_step_hint_and_stays()
    {
        var turn = bot.Respond("orders", "ask-number", NoVariables, "no idea");

        Assert.Equal(("orders", "ask-number"), (turn.FlowId, turn.StepId));
        Assert.Contains("two letters", Assert.IsType<Say>(Assert.Single(turn.Actions)).Text, StringComparison.Ordinal);
        Assert.Empty(turn.Variables);
    }

    [Fact]
    public void Hand_over_step_says_its_prompt_then_hands_over_with_its_team()
    {
        var turn = bot.Respond("billing", "topic", NoVariables, "wrong amount");

        Assert.Equal(("billing", "to-billing-team"), (turn.FlowId, turn.StepId));
        Assert.IsType<Say>(turn.Actions[0]);
        var handOver = Assert.IsType<HandOverToAgent>(turn.Actions[1]);
        Assert.Equal("billing", handOver.Context["team"]);
        Assert.Contains("billing team", handOver.Notice, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hand_over_choice_uses_its_own_team_and_the_default_notice()
    {
        var turn = bot.Respond("main", "welcome", NoVariables, "Talk to a person");

        var handOver = Assert.IsType<HandOverToAgent>(Assert.Single(turn.Actions));
        Assert.Equal("support", handOver.Context["team"]);
        Assert.Equal(bot.Flows.HandOver.Notice, handOver.Notice);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("I want an AGENT please")]
    [InlineData("Human!")]
    [InlineData("mag ik een medewerker?")]
    public void Hand_over_keyword_as_a_whole_word_in_any_case_hands_over(string text)
    {
        var turn = bot.Respond("orders", "ask-number", NoVariables, text);

        var handOver = Assert.IsType<HandOverToAgent>(Assert.Single(turn.Actions));
        Assert.Equal("general", handOver.Context["team"]);
        Assert.Equal(("orders", "ask-number"), (turn.FlowId, turn.StepId));
    }

    [Theory]
    [InlineData("agents")]
    [InlineData("reagent")]
    [InlineData("humanity")]
    public void A_keyword_inside_another_word_does_not_hand_over(string text)
    {
        var turn = bot.Respond("main", "welcome", NoVariables, text);

        Assert.DoesNotContain(turn.Actions, a => a is HandOverToAgent);
    }

    [Fact]
    public void After_the_end_of_a_conversation_a_new_message_starts_over()
    {
        var turn = bot.Respond("main", "goodbye", NoVariables, "hi again");

        Assert.Equal(("main", "welcome"), (turn.FlowId, turn.StepId));
    }

    [Fact]
    public void Entering_a_step_for_a_hand_back_says_its_prompt()
    {
        var turn = bot.EnterAt("billing", "topic", NoVariables);

        Assert.Equal("What is your billing question about?", Assert.IsType<Say>(Assert.Single(turn.Actions)).Text);
    }
}
