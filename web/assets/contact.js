// The contact form: the rules and messages, checked when a field
// is left and when the form is sent, shown next to each field and
// announced (each message element is role=alert); then the message is
// posted as JSON to the API, which checks everything again, and its
// refusals are shown the same way. Hand-written, no dependencies: it must
// work without the player bundle.
(function () {
  'use strict'

  var form = document.getElementById('contact-form')
  if (!form) return

  // The HTML standard's "valid e-mail address", the rule of type=email.
  var emailRule = /^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

  // Lengths are Unicode code points after trimming; an empty field is
  // "required", a whitespace-only one is too short.
  function lengthRule (required, min, tooShort, max, tooLong) {
    return function (value) {
      if (value === '') return required
      var n = Array.from(value.trim()).length
      if (n < min) return tooShort
      if (n > max) return tooLong
      return ''
    }
  }

  // The fields by the id of their input, with the API's name for each.
  var fields = {
    email: {
      api: 'fromEmail',
      check: function (value) {
        // Browsers already strip the ends of an email input's value.
        value = value.trim()
        if (value === '') return 'Email is required.'
        if (!emailRule.test(value)) return 'Email must be valid.'
        return ''
      }
    },
    name: {
      api: 'fromName',
      check: lengthRule('Your name is required.',
        1, 'Your name must be at least 1 character long.',
        120, 'Your name cannot be more than 120 characters long.')
    },
    subject: {
      api: 'subject',
      check: lengthRule('A subject is required.',
        1, 'The subject must be at least 1 character long.',
        120, 'The subject cannot be more than 120 characters long.')
    },
    message: {
      api: 'body',
      check: lengthRule('A message is required.',
        3, 'The message must be at least 3 characters long.',
        5000, 'The message cannot be more than 5000 characters long.')
    }
  }
  var order = ['email', 'name', 'subject', 'message']
  var formError = document.getElementById('contact-error')
  var formStatus = document.getElementById('contact-status')
  var submit = document.getElementById('contact-submit')

  function input (id) { return document.getElementById(id) }

  function show (id, message) {
    var el = input(id)
    document.getElementById(id + '-error').textContent = message
    if (message) {
      el.setAttribute('aria-invalid', 'true')
    } else {
      el.removeAttribute('aria-invalid')
    }
  }

  function check (id) {
    var message = fields[id].check(input(id).value)
    show(id, message)
    return message === ''
  }

  order.forEach(function (id) {
    var el = input(id)
    // A field is checked when it is left once it has been typed in (not
    // merely tabbed through), and again on every change while it shows
    // a message, so the message goes as soon as the value is right.
    el.addEventListener('input', function () {
      el.dataset.edited = '1'
      if (el.getAttribute('aria-invalid') === 'true') check(id)
    })
    el.addEventListener('blur', function () {
      if (el.dataset.edited === '1') check(id)
    })
  })

  function clearAll () {
    order.forEach(function (id) {
      show(id, '')
      delete input(id).dataset.edited
    })
    formError.textContent = ''
  }

  function minutesFrom (retryAfter) {
    var seconds = Number(retryAfter)
    if (!isFinite(seconds)) {
      var date = Date.parse(retryAfter)
      seconds = isNaN(date) ? 60 : (date - Date.now()) / 1000
    }
    return Math.max(1, Math.ceil(seconds / 60))
  }

  // showRefusal puts a 400's invalid-params next to the fields they name,
  // and reports whether it found any.
  function showRefusal (problem) {
    var params = problem && problem['invalid-params']
    var first = null
    if (!params || typeof params !== 'object') return false
    order.forEach(function (id) {
      var p = params[fields[id].api]
      if (!p) return
      var msg = typeof p === 'string' ? p : (p.msg || p.message || '')
      if (!msg) return
      show(id, String(msg))
      if (!first) first = input(id)
    })
    if (first) first.focus()
    return first !== null
  }

  var generic = 'Your message could not be sent. Please try again later.'

  function send () {
    var payload = {}
    order.forEach(function (id) { payload[fields[id].api] = input(id).value })
    form.setAttribute('aria-busy', 'true')
    submit.disabled = true
    return fetch(form.getAttribute('action'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'same-origin'
    }).then(function (res) {
      if (res.status === 204 || res.status === 200) {
        form.reset()
        clearAll()
        formStatus.textContent = 'Thank you: your message has been sent to the administrator.'
        return
      }
      if (res.status === 429) {
        var n = minutesFrom(res.headers.get('Retry-After'))
        formError.textContent = 'Too many messages from your address; try again in ' + n + (n === 1 ? ' minute.' : ' minutes.')
        return
      }
      if (res.status === 400) {
        return res.json().then(function (problem) {
          if (!showRefusal(problem)) formError.textContent = generic
        }, function () {
          formError.textContent = generic
        })
      }
      formError.textContent = generic
    }, function () {
      formError.textContent = generic
    }).then(function () {
      form.removeAttribute('aria-busy')
      submit.disabled = false
    })
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault()
    formError.textContent = ''
    formStatus.textContent = ''
    var first = null
    order.forEach(function (id) {
      if (!check(id) && !first) first = input(id)
    })
    if (first) {
      first.focus()
      return
    }
    send()
  })
})()
