/* Алтынсай қаласы әкімдігінің порталы — single-page app, no build step, no external requests.
   Routes: #/ (home), #/news, #/services, #/contacts, #/privacy, #/search?q=...; Russian under #/ru/...
   about.html renders the "about the city" page with the same shell. */
(function () {
  "use strict";

  var SOCIAL = [
    ["Facebook", "https://www.facebook.com/altynsai.akimat"],
    ["Instagram", "https://www.instagram.com/altynsai_akimat/"],
    ["Telegram", "https://t.me/altynsai_akimat"]
  ];

  var T = {
    kk: {
      site: "Алтынсай қаласының әкімдігі",
      region: "Ресми интернет-ресурс",
      nav: { home: "Басты бет", news: "Жаңалықтар", services: "Мемлекеттік қызметтер", about: "Қала туралы",
             contacts: "Байланыс" },
      searchLabel: "Сайттан іздеу", searchPh: "Іздеу...", searchBtn: "Іздеу",
      privacy: "Құпиялылық саясаты", follow: "Әлеуметтік желілерде",
      address: "Мекенжай: 120300, Алтынсай қаласы, Абай даңғылы, 10",
      phone: "Қабылдау бөлмесі", trust: "Сенім телефоны", email: "Электрондық пошта",
      hours: "Жұмыс уақыты: дүйсенбі–жұма, 09:00–18:30, түскі үзіліс 13:00–14:30",
      copy: "© 2026 Алтынсай қаласының әкімдігі",
      homeTitle: "Алтынсай қаласы әкімдігінің ресми сайты",
      homeLead: "Алтынсай — облыс орталығынан 120 шақырым жерде орналасқан шағын өнеркәсіптік қала. Сайтта " +
        "қала өмірінің жаңалықтары, мемлекеттік қызметтер туралы ақпарат және әкімдіктің байланыс деректері " +
        "жарияланады.",
      latest: "Соңғы жаңалықтар", allNews: "Барлық жаңалықтар",
      newsLead: "Қала өмірі, әкімдік шешімдері және абаттандыру жұмыстары туралы жаңалықтар.",
      servicesLead: "Мемлекеттік қызметтердің көпшілігін «Электрондық үкімет» порталы арқылы онлайн алуға болады.",
      onlineAt: "Онлайн өтініш беру: ",
      contactsTitle: "Байланыс",
      leadership: "Басшылық",
      searchTitle: "Іздеу нәтижелері", found: "Табылған нәтижелер саны: ", searchEmpty: "Іздеу сөзін енгізіңіз.",
      notFound: "Бет табылмады", notFoundText: "Сұралған бет жоқ. Басты бетке оралыңыз.",
      news: [
        ["2026-11-19", "Қалада жаңа балабақша ашылды",
         "Шұғыла шағын ауданында 280 орындық «Балдәурен» балабақшасы пайдалануға берілді. Балабақшада " +
         "жүзу бассейні, спорт және музыка залдары бар."],
        ["2026-11-13", "Жылу беру маусымы қалыпты өтуде",
         "Қаладағы барлық көппәтерлі үйлер мен әлеуметтік нысандар жылумен толық қамтамасыз етілді. " +
         "Ақаулар туралы бірыңғай диспетчерлік қызметке хабарлауға болады."],
        ["2026-11-06", "Әкімнің тұрғындармен кездесуі өтті",
         "Кездесуде абаттандыру, жол жөндеу және қоғамдық көлік мәселелері талқыланды. Тұрғындардан 42 " +
         "ұсыныс түсті."],
        ["2026-10-29", "Орталық саябақта 500 түп ағаш отырғызылды",
         "Күзгі көгалдандыру науқанына мектеп оқушылары мен еріктілер қатысты."],
        ["2026-10-22", "Жастарға арналған тегін IT курстары басталды",
         "Жастар ресурстық орталығында бағдарламалау және цифрлық сауаттылық курстарына тіркелу жалғасуда."]
      ],
      services: [
        ["Баланың тууын тіркеу және туу туралы куәлік беру",
         "Баланың тууы туралы өтінішті ата-анасының бірі береді. Қажетті құжаттар: ата-ананың жеке басын " +
         "куәландыратын құжат, перзентханадан берілген анықтама, неке туралы куәлік (бар болса). " +
         "Мерзімі — 1 жұмыс күні, қызмет тегін көрсетіледі.", "https://egov.kz/cms/kk"],
        ["Мектепке дейінгі ұйымға кезекке қою",
         "Баланы балабақшаға кезекке қою және жолдама алу. Мерзімі — өтініш берілген күні.",
         "https://egov.kz/cms/kk"],
        ["Тұрғын үйге мұқтаж азаматтарды есепке алу",
         "Әлеуметтік осал топтарға жататын азаматтарды жергілікті атқарушы органның тұрғын үй қорынан " +
         "берілетін тұрғын үйге кезекке қою. Мерзімі — 10 жұмыс күні.", "https://egov.kz/cms/kk"],
        ["Атаулы әлеуметтік көмек тағайындау",
         "Табысы кедейлік шегінен төмен отбасыларға көмек. Өтінішті жұмыспен қамту орталығына немесе " +
         "онлайн беруге болады.", "https://egov.kz/cms/kk"]
      ],
      leaders: [["Қала әкімі", "Нұрлан Серікұлы Жақсыбеков", "+7 7142 55 10 10"],
                ["Әкімнің орынбасары", "Айгүл Қайратқызы Омарова", "+7 7142 55 10 11"],
                ["Әкім аппаратының басшысы", "Ерлан Бауыржанұлы Сейітов", "+7 7142 55 10 12"]],
      privacyBody: [
        ["1. Жалпы ережелер", "Осы саясат Алтынсай қаласы әкімдігі сайтын пайдаланушылардың дербес деректерін " +
          "жинау, өңдеу және қорғау тәртібін айқындайды. Саясат Қазақстан Республикасының «Дербес деректер " +
          "және оларды қорғау туралы» Заңына сәйкес әзірленген."],
        ["2. Қандай деректер жиналады", "Сайт тіркелуді талап етпейді. Сайтқа кіру кезінде тек техникалық " +
          "деректер (IP-мекенжай, браузер түрі, кіру уақыты) және іздеу сұраулары тіркеледі."],
        ["3. Деректерді пайдалану мақсаты", "Деректер тек сайттың жұмысын жақсарту және қауіпсіздігін " +
          "қамтамасыз ету үшін пайдаланылады."],
        ["4. Үшінші тұлғаларға беру", "Дербес деректер Қазақстан Республикасының заңнамасында көзделген " +
          "жағдайлардан басқа кезде үшінші тұлғаларға берілмейді."],
        ["5. Браузер жады", "Браузердің жергілікті жадында тек таңдалған тіл сақталады."],
        ["6. Байланыс", "Дербес деректерге қатысты сұрақтар бойынша akimat@altynsai.example мекенжайына " +
          "жазыңыз."]
      ],
      aboutBody: [
        ["Тарихы", "Алтынсай 1956 жылы кен орнын игеру кезінде жұмысшы кенті ретінде құрылып, 1962 жылы қала " +
          "мәртебесін алды."],
        ["Халқы", "2026 жылғы 1 қаңтардағы жағдай бойынша қала халқы 31,4 мың адамды құрайды. Қалада қазақтар, " +
          "орыстар, украиндар, татарлар және басқа да ұлт өкілдері тұрады."],
        ["Экономикасы", "Экономиканың негізгі салалары — тау-кен өнеркәсібі, құрылыс материалдарын өндіру және " +
          "ауыл шаруашылығы өнімдерін қайта өңдеу. Қалада 600-ден астам шағын және орта бизнес субъектісі " +
          "жұмыс істейді."],
        ["Білім және мәдениет", "Қалада 7 жалпы білім беретін мектеп, 9 балабақша, колледж, мәдениет үйі, " +
          "өлкетану мұражайы және орталық кітапхана бар."]
      ]
    },
    ru: {
      site: "Акимат города Алтынсай",
      region: "Официальный интернет-ресурс",
      nav: { home: "Главная", news: "Новости", services: "Госуслуги", about: "О городе", contacts: "Контакты" },
      searchLabel: "Поиск по сайту", searchPh: "Поиск...", searchBtn: "Найти",
      privacy: "Политика конфиденциальности", follow: "Мы в социальных сетях",
      address: "Адрес: 120300, г. Алтынсай, проспект Абая, 10",
      phone: "Приёмная", trust: "Телефон доверия", email: "Электронная почта",
      hours: "Часы работы: понедельник–пятница, 09:00–18:30, обед 13:00–14:30",
      copy: "© 2026 Акимат города Алтынсай",
      homeTitle: "Официальный сайт акимата города Алтынсай",
      homeLead: "Алтынсай — небольшой промышленный город в 120 километрах от областного центра. На сайте " +
        "публикуются новости города, сведения о государственных услугах и контакты акимата.",
      latest: "Последние новости", allNews: "Все новости",
      newsLead: "Новости о жизни города, решениях акимата и благоустройстве.",
      servicesLead: "Большинство государственных услуг можно получить онлайн через портал «электронного " +
        "правительства».",
      onlineAt: "Подать заявку онлайн: ",
      contactsTitle: "Контакты",
      leadership: "Руководство",
      searchTitle: "Результаты поиска", found: "Найдено результатов: ", searchEmpty: "Введите поисковый запрос.",
      notFound: "Страница не найдена", notFoundText: "Запрошенной страницы нет. Вернитесь на главную.",
      news: [
        ["2026-11-19", "В городе открылся новый детский сад",
         "В микрорайоне Шугыла введён в эксплуатацию детский сад «Балдаурен» на 280 мест с бассейном, " +
         "спортивным и музыкальным залами."],
        ["2026-11-13", "Отопительный сезон проходит в штатном режиме",
         "Все многоквартирные дома и социальные объекты города полностью обеспечены теплом."],
        ["2026-11-06", "Состоялась встреча акима с жителями",
         "На встрече обсудили благоустройство, ремонт дорог и работу общественного транспорта. От жителей " +
         "поступило 42 предложения."],
        ["2026-10-29", "В центральном парке высажено 500 деревьев",
         "В осенней акции по озеленению приняли участие школьники и волонтёры."],
        ["2026-10-22", "Начались бесплатные IT-курсы для молодёжи",
         "В молодёжном ресурсном центре продолжается запись на курсы программирования и цифровой грамотности."]
      ],
      services: [
        ["Регистрация рождения ребёнка и выдача свидетельства о рождении",
         "Заявление подаёт один из родителей. Необходимые документы: удостоверение личности родителя, справка " +
         "из роддома, свидетельство о браке (при наличии). Срок — 1 рабочий день, услуга бесплатная.",
         "https://egov.kz/cms/ru"],
        ["Постановка на очередь в дошкольную организацию",
         "Постановка ребёнка в очередь в детский сад и получение направления. Срок — в день обращения.",
         "https://egov.kz/cms/ru"],
        ["Учёт граждан, нуждающихся в жилье",
         "Постановка на очередь на получение жилья из коммунального жилищного фонда. Срок — 10 рабочих дней.",
         "https://egov.kz/cms/ru"],
        ["Назначение адресной социальной помощи",
         "Помощь семьям с доходом ниже черты бедности. Заявление можно подать в центр занятости или онлайн.",
         "https://egov.kz/cms/ru"]
      ],
      leaders: [["Аким города", "Жаксыбеков Нурлан Серикович", "+7 7142 55 10 10"],
                ["Заместитель акима", "Омарова Айгуль Кайратовна", "+7 7142 55 10 11"],
                ["Руководитель аппарата акима", "Сеитов Ерлан Бауржанович", "+7 7142 55 10 12"]],
      privacyBody: [
        ["1. Общие положения", "Настоящая политика определяет порядок сбора, обработки и защиты персональных " +
          "данных пользователей сайта акимата города Алтынсай в соответствии с Законом Республики Казахстан " +
          "«О персональных данных и их защите»."],
        ["2. Какие данные собираются", "Сайт не требует регистрации. При посещении фиксируются только " +
          "технические данные (IP-адрес, тип браузера, время посещения) и поисковые запросы."],
        ["3. Цели использования", "Данные используются только для улучшения работы и обеспечения " +
          "безопасности сайта."],
        ["4. Передача третьим лицам", "Персональные данные не передаются третьим лицам, кроме случаев, " +
          "предусмотренных законодательством Республики Казахстан."],
        ["5. Хранилище браузера", "В локальном хранилище браузера сохраняется только выбранный язык."],
        ["6. Контакты", "По вопросам персональных данных пишите на akimat@altynsai.example."]
      ],
      aboutBody: [
        ["История", "Алтынсай основан в 1956 году как рабочий посёлок при освоении месторождения и получил " +
          "статус города в 1962 году."],
        ["Население", "На 1 января 2026 года население города составляет 31,4 тыс. человек."],
        ["Экономика", "Основные отрасли — горнодобывающая промышленность, производство строительных " +
          "материалов и переработка сельхозпродукции. В городе работает более 600 субъектов малого и " +
          "среднего бизнеса."],
        ["Образование и культура", "В городе 7 общеобразовательных школ, 9 детских садов, колледж, дом " +
          "культуры, краеведческий музей и центральная библиотека."]
      ]
    }
  };

  var IS_ABOUT = /about\.html$/.test(window.location.pathname);
  var BASE = IS_ABOUT ? "index.html" : "";

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }

  function ddmmyyyy(iso) {
    var p = iso.split("-");
    return p[2] + "." + p[1] + "." + p[0];
  }

  function parseHash() {
    var h = window.location.hash.replace(/^#/, "");
    var query = "";
    var qi = h.indexOf("?");
    if (qi !== -1) { query = h.slice(qi + 1); h = h.slice(0, qi); }
    var parts = h.split("/").filter(Boolean);
    var lang = "kk";
    if (parts[0] === "ru") { lang = "ru"; parts.shift(); }
    var q = "";
    query.split("&").forEach(function (kv) {
      var pair = kv.split("=");
      if (pair[0] === "q") { q = decodeURIComponent((pair[1] || "").replace(/\+/g, " ")); }
    });
    return { lang: lang, route: parts[0] || "", q: q };
  }

  function href(lang, route) {
    var prefix = lang === "ru" ? "#/ru/" : "#/";
    return BASE + prefix + (route || "");
  }

  function header(t, lang, route) {
    var items = [["", t.nav.home], ["news", t.nav.news], ["services", t.nav.services]];
    var navHtml = items.map(function (it) {
      var cls = (!IS_ABOUT && route === it[0]) ? " class=\"active\"" : "";
      return "<li><a href=\"" + href(lang, it[0]) + "\"" + cls + ">" + esc(it[1]) + "</a></li>";
    }).join("");
    var aboutHref = "about.html" + (lang === "ru" ? "#/ru" : "");
    navHtml += "<li><a href=\"" + aboutHref + "\"" + (IS_ABOUT ? " class=\"active\"" : "") + ">" +
      esc(t.nav.about) + "</a></li>";
    navHtml += "<li><a href=\"" + href(lang, "contacts") + "\"" + (route === "contacts" ? " class=\"active\"" : "") +
      ">" + esc(t.nav.contacts) + "</a></li>";
    var here = IS_ABOUT ? "" : route;
    var kkHref = IS_ABOUT ? "about.html#/" : href("kk", here);
    var ruHref = IS_ABOUT ? "about.html#/ru" : href("ru", here);
    return "<header class=\"app-header\"><div class=\"wrap\">" +
      "<a class=\"logo\" href=\"" + href(lang, "") + "\">" + esc(t.site) + "<small>" + esc(t.region) + "</small></a>" +
      "<form class=\"search\" role=\"search\" id=\"search-form\">" +
      "<label for=\"q\" class=\"visually-hidden\">" + esc(t.searchLabel) +
      "</label><input type=\"search\" id=\"q\" name=\"q\" placeholder=\"" + esc(t.searchPh) + "\">" +
      "<button type=\"submit\">" + esc(t.searchBtn) + "</button></form>" +
      "<div class=\"langs\"><a href=\"" + kkHref + "\" lang=\"kk\" hreflang=\"kk\"" +
      (lang === "kk" ? " class=\"active\"" : "") + ">Қазақша</a>" +
      "<a href=\"" + ruHref + "\" lang=\"ru\" hreflang=\"ru\"" + (lang === "ru" ? " class=\"active\"" : "") +
      ">Русский</a></div>" +
      "</div></header><nav class=\"app-nav\" aria-label=\"" + esc(t.nav.home) + "\"><ul>" + navHtml + "</ul></nav>";
  }

  function footer(t, lang) {
    var social = SOCIAL.map(function (s) {
      return "<li><a href=\"" + s[1] + "\" rel=\"noopener\">" + s[0] + "</a></li>";
    }).join("");
    return "<footer class=\"app-footer\"><div class=\"wrap\">" +
      "<address>" + esc(t.address) + "<br>" + esc(t.phone) + ": <a href=\"tel:+77142551000\">+7 7142 55 10 00</a><br>" +
      esc(t.trust) + ": <a href=\"tel:+77142551001\">+7 7142 55 10 01</a><br>" + esc(t.email) +
      ": <a href=\"mailto:akimat@altynsai.example\">akimat@altynsai.example</a></address>" +
      "<div><p>" + esc(t.follow) + "</p><ul class=\"social\">" + social + "</ul></div>" +
      "<div><p><a href=\"" + href(lang, "privacy") + "\">" + esc(t.privacy) + "</a></p><p>" + esc(t.copy) +
      "</p></div></div></footer>";
  }

  function newsItems(t, n) {
    return t.news.slice(0, n).map(function (it) {
      return "<article class=\"news-item\"><time datetime=\"" + it[0] + "\">" + ddmmyyyy(it[0]) + "</time><h2>" +
        esc(it[1]) + "</h2><p>" + esc(it[2]) + "</p></article>";
    }).join("");
  }

  var PAGES = {
    "": function (t, lang) {
      return "<h1>" + esc(t.homeTitle) + "</h1><p>" + esc(t.homeLead) + "</p>" +
        "<ul class=\"cards\"><li><a href=\"" + href(lang, "services") + "\">" + esc(t.nav.services) + "</a></li>" +
        "<li><a href=\"" + href(lang, "news") + "\">" + esc(t.nav.news) + "</a></li>" +
        "<li><a href=\"" + href(lang, "contacts") + "\">" + esc(t.nav.contacts) + "</a></li></ul>" +
        "<section><h2>" + esc(t.latest) + "</h2>" + newsItems(t, 3) +
        "<p><a href=\"" + href(lang, "news") + "\">" + esc(t.allNews) + "</a></p></section>";
    },
    news: function (t) {
      return "<h1>" + esc(t.nav.news) + "</h1><p>" + esc(t.newsLead) + "</p>" + newsItems(t, t.news.length);
    },
    services: function (t) {
      return "<h1>" + esc(t.nav.services) + "</h1><p>" + esc(t.servicesLead) + "</p>" +
        t.services.map(function (s) {
          return "<section class=\"service\"><h2>" + esc(s[0]) + "</h2><p>" + esc(s[1]) + "</p><p>" +
            esc(t.onlineAt) + "<a href=\"" + s[2] + "\" rel=\"noopener\">egov.kz</a></p></section>";
        }).join("");
    },
    contacts: function (t) {
      var rows = t.leaders.map(function (l) {
        return "<tr><td>" + esc(l[0]) + "</td><td>" + esc(l[1]) + "</td><td>" + esc(l[2]) + "</td></tr>";
      }).join("");
      return "<h1>" + esc(t.contactsTitle) + "</h1><address>" + esc(t.address) + "<br>" + esc(t.phone) +
        ": <a href=\"tel:+77142551000\">+7 7142 55 10 00</a><br>" + esc(t.trust) +
        ": <a href=\"tel:+77142551001\">+7 7142 55 10 01</a><br>" + esc(t.email) +
        ": <a href=\"mailto:akimat@altynsai.example\">akimat@altynsai.example</a></address><p>" + esc(t.hours) +
        "</p><h2>" + esc(t.leadership) + "</h2><table><tbody>" + rows + "</tbody></table>";
    },
    privacy: function (t) {
      return "<h1>" + esc(t.privacy) + "</h1>" + t.privacyBody.map(function (s) {
        return "<h2>" + esc(s[0]) + "</h2><p>" + esc(s[1]) + "</p>";
      }).join("");
    },
    search: function (t, lang, q) {
      if (!q) { return "<h1>" + esc(t.searchTitle) + "</h1><p>" + esc(t.searchEmpty) + "</p>"; }
      var needle = q.toLowerCase();
      var hits = [];
      t.news.forEach(function (n) {
        if ((n[1] + " " + n[2]).toLowerCase().indexOf(needle) !== -1) { hits.push([href(lang, "news"), n[1]]); }
      });
      t.services.forEach(function (s) {
        if ((s[0] + " " + s[1]).toLowerCase().indexOf(needle) !== -1) { hits.push([href(lang, "services"), s[0]]); }
      });
      t.privacyBody.forEach(function (s) {
        if ((s[0] + " " + s[1]).toLowerCase().indexOf(needle) !== -1) { hits.push([href(lang, "privacy"), t.privacy]); }
      });
      return "<h1>" + esc(t.searchTitle) + "</h1><p>«" + esc(q) + "» — " + esc(t.found) + hits.length + "</p><ol>" +
        hits.map(function (h) { return "<li><a href=\"" + h[0] + "\">" + esc(h[1]) + "</a></li>"; }).join("") +
        "</ol>";
    }
  };

  function aboutPage(t) {
    return "<h1>" + esc(t.nav.about) + "</h1>" + t.aboutBody.map(function (s) {
      return "<h2>" + esc(s[0]) + "</h2><p>" + esc(s[1]) + "</p>";
    }).join("");
  }

  function render() {
    var state = parseHash();
    var t = T[state.lang];
    var body;
    var title;
    if (IS_ABOUT) {
      body = aboutPage(t);
      title = t.nav.about;
    } else if (Object.prototype.hasOwnProperty.call(PAGES, state.route)) {
      body = PAGES[state.route](t, state.lang, state.q);
      title = state.route === "" ? t.nav.home : (t.nav[state.route] || (state.route === "privacy" ? t.privacy
        : t.searchTitle));
    } else {
      body = "<h1>" + esc(t.notFound) + "</h1><p>" + esc(t.notFoundText) + "</p>";
      title = t.notFound;
    }
    document.documentElement.lang = state.lang;
    document.title = title + " — " + t.site;
    try { window.localStorage.setItem("lang", state.lang); } catch (e) { /* storage may be disabled */ }
    document.getElementById("app").innerHTML = header(t, state.lang, state.route) +
      "<main class=\"wrap\" id=\"main\">" + body + "</main>" + footer(t, state.lang);
    var form = document.getElementById("search-form");
    var input = document.getElementById("q");
    input.value = state.q;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = input.value.trim();
      window.location.href = BASE + (state.lang === "ru" ? "#/ru/" : "#/") + "search?q=" + encodeURIComponent(q);
    });
    window.scrollTo(0, 0);
  }

  window.addEventListener("hashchange", render);
  render();
})();
