// Comma-separated tag fields: suggestions for the token being typed (the last one).

document.querySelectorAll("input[data-tags-autocomplete-url]").forEach((input) => {
  const list = document.getElementById(input.getAttribute("list"));
  if (!list) return;
  let timer = null;
  let latest = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const tokens = input.value.split(",");
    const current = tokens.pop().trim();
    const done = tokens.map((token) => token.trim()).filter(Boolean);
    if (!current) {
      list.replaceChildren();
      return;
    }
    timer = setTimeout(async () => {
      const ticket = ++latest;
      try {
        const url = `${input.dataset.tagsAutocompleteUrl}?q=${encodeURIComponent(current)}`;
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`The server answered ${response.status}.`);
        const data = await response.json();
        if (ticket !== latest) return;
        list.replaceChildren(
          ...data.suggestions.map((name) =>
            Object.assign(document.createElement("option"), { value: [...done, name].join(", ") }),
          ),
        );
      } catch {
        list.replaceChildren();
      }
    }, 150);
  });
});
